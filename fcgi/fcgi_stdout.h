/* fcgi_stdout.h: large response bodies as FCGI_STDOUT records written straight to the connection. */
#ifndef MG_FCGI_STDOUT_H
#define MG_FCGI_STDOUT_H

#include <fcgiapp.h>
#include <stddef.h>

/*
 * Content bytes per record: the largest multiple of 8 that fits contentLength (16 bits,
 * FastCGI 1.0 section 3.3), so that full records need no padding and stay 8-byte aligned.
 */
#define FCGI_RECORD_CONTENT_MAX 65528

/*
 * fcgi_records_write: write the len bytes of buf on fd as a run of FastCGI records of type
 * (FCGI_STDOUT or FCGI_STDERR, FastCGI 1.0 section 5.3) for request_id (1..65535). Each record
 * is the 8-byte header of section 3.3 (version FCGI_VERSION_1, type, requestId, contentLength,
 * paddingLength) and up to FCGI_RECORD_CONTENT_MAX content bytes; the last is padded to a
 * multiple of 8 bytes (the alignment section 3.3 recommends, as libfcgi does). Never an empty
 * record: that one ends the stream (section 5.3), which FCGX_Finish_r sends. len 0 writes
 * nothing. The content is not copied: one sendmsg (MSG_NOSIGNAL; writev when fd is not a
 * socket) carries up to 32 records. Short writes and EINTR are resumed; EAGAIN waits in poll.
 * Returns 0, or -1 with errno set (EPIPE once the web server has closed the connection), after
 * which part of the bytes may have been written.
 */
int fcgi_records_write(int fd, int type, int request_id, const void *buf, size_t len);

/*
 * fcgi_stdout_write: send len bytes of the response body on fx's FCGI_STDOUT stream. What
 * libfcgi holds in fx->out (the header block, earlier small writes) is flushed first with
 * FCGX_FFlush so that the bytes keep their order, then buf goes out with fcgi_records_write on
 * the request's connection (fx->ipcFd, fx->requestId): a 64 KiB body is one system call of two
 * records instead of eight 8 KiB records and eight write calls (libfcgi's stream buffer is
 * a fixed 8 KiB), and is not copied. The header block keeps its own write on purpose: lighttpd
 * 1.4.69 reads a backend's response in small pieces until it has parsed the header block
 * (measured with strace: 10.9 reads and 9.2 FIONREAD per 64 KiB response when the header block
 * shared the body's system call, 3.2 and 2.2 when it went first, and 12% more instructions in
 * lighttpd). libfcgi's stream stays usable for what follows. Returns 0,
 * or -1 when the connection failed; then fx->out is marked failed as libfcgi marks it after its
 * own failed write (FCGI_errno set, closed), so later writes fail and FCGX_Finish_r closes the
 * connection.
 */
int fcgi_stdout_write(FCGX_Request *fx, const void *buf, size_t len);

#endif
