#!/bin/sh
# valgrind.sh: run the app under valgrind (make check VALGRIND=1). Each process logs to its own
# file in $MG_VALGRIND_LOGS; the test runners fail the run when a log reports an error or
# a definite leak. Forked children (the audio open check, media/audio.c) exit without cleanup
# by design and are kept silent.
mkdir -p "$MG_VALGRIND_LOGS"
exec valgrind -q --child-silent-after-fork=yes --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
	--log-file="$MG_VALGRIND_LOGS/vg.%p.log" "$MG_VALGRIND_BIN" "$@"
