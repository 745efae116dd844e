//! Closing connections on which nothing moves: a socket wrapper that fails its next read
//! once no byte has been read or written for a set time. That closes a keep-alive
//! connection idle between requests, a connection opened and never used, and one whose
//! client stopped reading a response, so none of them holds one of the capped connection
//! slots (and a file descriptor) for long. Timing only; it knows nothing of HTTP.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// `io`, closed (its reads fail with `TimedOut`) after `limit` without traffic either way.
pub(super) struct IdleClose<T> {
    io: T,
    limit: Duration,
    /// The last time a byte moved.
    last: Instant,
    /// Wakes the reader when `last + limit` may have come; moved on lazily, so traffic only
    /// stores a time.
    timer: Pin<Box<Sleep>>,
}

impl<T> IdleClose<T> {
    pub(super) fn new(io: T, limit: Duration) -> IdleClose<T> {
        let now = Instant::now();
        IdleClose { io, limit, last: now, timer: Box::pin(tokio::time::sleep_until(now + limit)) }
    }

    /// Whether the connection has been idle for its limit; otherwise makes sure the timer
    /// wakes this task when it might be.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            let due = self.last + self.limit;
            if self.timer.deadline() != due {
                self.timer.as_mut().reset(due);
            }
            if self.timer.as_mut().poll(cx).is_pending() {
                return false;
            }
            if self.last + self.limit <= Instant::now() {
                return true;
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleClose<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.last = Instant::now();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending if this.expired(cx) => {
                Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "connection idle")))
            }
            other => other,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleClose<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let out = Pin::new(&mut this.io).poll_write(cx, buf);
        if matches!(out, Poll::Ready(Ok(n)) if n > 0) {
            this.last = Instant::now();
        }
        out
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let out = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        if matches!(out, Poll::Ready(Ok(n)) if n > 0) {
            this.last = Instant::now();
        }
        out
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn reads_fail_only_after_the_limit_without_traffic() {
        let (near, mut far) = tokio::io::duplex(64);
        let mut conn = IdleClose::new(near, Duration::from_secs(5));
        let mut buf = [0u8; 8];
        tokio::time::sleep(Duration::from_secs(4)).await;
        far.write_all(b"hi").await.expect("write");
        assert_eq!(conn.read(&mut buf).await.expect("traffic within the limit"), 2);
        // Traffic moved the limit on: four more seconds are still within it.
        tokio::time::sleep(Duration::from_secs(4)).await;
        conn.write_all(b"ok").await.expect("write");
        tokio::time::sleep(Duration::from_secs(4)).await;
        far.write_all(b"x").await.expect("write");
        assert_eq!(conn.read(&mut buf).await.expect("still open"), 1);
        // Then nothing moves: the read waits out the limit and fails.
        let err = conn.read(&mut buf).await.expect_err("idle past the limit");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }
}
