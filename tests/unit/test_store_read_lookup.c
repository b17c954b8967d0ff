/* test_store_read_lookup.c: store_read_lookup (a token-checked read's session and input, at once). */
#include <criterion/criterion.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define NOW 1700000000
#define TTL 3600

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mg-lookup-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void teardown(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(read_lookup, .init = setup, .fini = teardown);

/* Uploads text into session and commits it; out is filled. */
static void put(struct store *st, const char *session, const char *text, struct store_input *out)
{
	struct store_input_meta m;
	struct store_upload *up = NULL;

	memset(&m, 0, sizeof(m));
	strcpy(m.session, session);
	strcpy(m.kind, "audio");
	strcpy(m.content_type, "audio/wav");
	strcpy(m.filename, "take 1.wav");
	m.metadata_json = "{\"audio\":{\"sampling_rate\":16000}}";
	m.created_at = NOW;
	cr_assert_eq(store_upload_begin(st, &up), STORE_OK);
	cr_assert_eq(store_upload_write(up, text, strlen(text)), STORE_OK);
	cr_assert_eq(store_upload_commit(up, &m, out), STORE_OK, "%s", store_errmsg(st));
}

/* store_read_lookup must answer what store_session_get then store_input_get answer. */
static void same_as_two_lookups(struct store *st, const char *session, const char *id,
                                int64_t now)
{
	struct store_session s;
	struct store_input a, b;
	enum store_err want_session = store_session_get(st, session, now, &s), session_state;
	enum store_err want = STORE_NOT_FOUND, got;

	memset(&a, 0, sizeof(a));
	if (want_session == STORE_OK)
		want = store_input_get(st, id, &a);
	got = store_read_lookup(st, session, id, now, &session_state, &b);
	cr_assert_eq(session_state, want_session, "session %s at %lld", session, (long long)now);
	cr_assert_eq(got, want, "input %s: %d, want %d", id, got, want);
	if (want == STORE_OK || want == STORE_GONE) {
		cr_assert_str_eq(b.id, a.id);
		cr_assert_str_eq(b.session, a.session);
		cr_assert_str_eq(b.kind, a.kind);
		cr_assert_str_eq(b.content_type, a.content_type);
		cr_assert_str_eq(b.filename, a.filename);
		cr_assert_str_eq(b.sha256, a.sha256);
		cr_assert_eq(b.size, a.size);
		cr_assert_eq(b.created_at, a.created_at);
		cr_assert_eq(b.deleted_at, a.deleted_at);
		cr_assert_str_eq(b.metadata_json, a.metadata_json);
	} else {
		cr_assert_null(b.metadata_json, "nothing to free when there is no input");
	}
	store_input_free(&a);
	store_input_free(&b);
}

Test(read_lookup, agrees_with_session_get_and_input_get)
{
	struct store *st = NULL;
	struct store_session live, ended;
	struct store_input in, gone, other;
	enum store_err ss;

	cr_assert_eq(store_open(dir, &st), STORE_OK);
	cr_assert_eq(store_session_create(st, NOW, TTL, &live), STORE_OK);
	cr_assert_eq(store_session_create(st, NOW, TTL, &ended), STORE_OK);
	put(st, live.id, "kept", &in);
	put(st, live.id, "deleted", &gone);
	put(st, ended.id, "of an ended session", &other);
	cr_assert_eq(store_input_delete(st, gone.id, NOW + 1), STORE_OK);
	cr_assert_eq(store_session_end(st, ended.id, NOW + 2), STORE_OK);

	same_as_two_lookups(st, live.id, in.id, NOW + 5);                 /* OK */
	same_as_two_lookups(st, live.id, gone.id, NOW + 5);               /* input gone */
	same_as_two_lookups(st, live.id, "AAAAAAAAAAAAAAAAAAAAAA", NOW);  /* no such input */
	same_as_two_lookups(st, live.id, "../index.sqlite", NOW);         /* malformed input id */
	same_as_two_lookups(st, live.id, in.id, NOW + TTL);               /* session expired */
	same_as_two_lookups(st, ended.id, other.id, NOW + 5);             /* session ended */
	same_as_two_lookups(st, "AAAAAAAAAAAAAAAAAAAAAA", in.id, NOW);    /* no such session */
	same_as_two_lookups(st, "a/b", in.id, NOW);                       /* malformed session id */
	/* Another session's input is found: ownership is the token's business, not the index's. */
	same_as_two_lookups(st, live.id, other.id, NOW + 5);

	cr_assert_eq(store_read_lookup(NULL, live.id, in.id, NOW, &ss, &in), STORE_INVALID);
	store_input_free(&in);
	store_input_free(&gone);
	store_input_free(&other);
	store_close(st);
}
