//! How a command ended, as the process exit status the binary returns: one place that says
//! which failures are the user's to fix, which mean another run holds the archive, and
//! which are fatal. It only classifies; it prints nothing and does not exit.

use super::PipelineError;
use crate::config::ConfigError;

/// The exit status of a `feedkeeper` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitStatus {
    /// Everything asked was done.
    Done = 0,
    /// The archive, the disk or the network failed the whole command.
    Fatal = 1,
    /// A bad command line or config: the user can fix it.
    Usage = 2,
    /// The command finished, but some sources or files failed (they are in the report).
    Partial = 3,
    /// Another run holds the archive lock (`EX_TEMPFAIL`: try again later).
    Locked = 75,
}

impl ExitStatus {
    /// `Partial` when anything failed, else `Done`.
    pub fn partial_if(failed: bool) -> ExitStatus {
        if failed { ExitStatus::Partial } else { ExitStatus::Done }
    }

    /// The status for a failed command, from the first error in its chain (outermost first)
    /// that says more than "fatal".
    pub fn of_error(e: &(dyn std::error::Error + 'static)) -> ExitStatus {
        let mut cause = Some(e);
        while let Some(c) = cause {
            if c.downcast_ref::<ConfigError>().is_some() {
                return ExitStatus::Usage;
            }
            // An `AWS_ENDPOINT_URL` that is refused is the user's to fix, whatever command met it.
            if let Some(crate::objects::ObjectError::Endpoint { .. }) = c.downcast_ref() {
                return ExitStatus::Usage;
            }
            if let Some(p) = c.downcast_ref::<PipelineError>() {
                if p.is_lock_held() {
                    return ExitStatus::Locked;
                }
                if p.is_usage() {
                    return ExitStatus::Usage;
                }
            }
            cause = c.source();
        }
        ExitStatus::Fatal
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> std::process::ExitCode {
        std::process::ExitCode::from(status as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_their_status() {
        let unknown = PipelineError::UnknownSource { name: "x".into(), config: "f.toml".into() };
        assert_eq!(ExitStatus::of_error(&unknown), ExitStatus::Usage);
        assert_eq!(ExitStatus::of_error(&PipelineError::Stopped), ExitStatus::Fatal);
        let held = PipelineError::AlreadyWatching { path: "a".into(), holder: None };
        assert_eq!(ExitStatus::of_error(&held), ExitStatus::Locked);
        let endpoint = crate::objects::ObjectError::Endpoint { endpoint: "http://10.0.0.1".into(), reason: "x".into() };
        let publish = PipelineError::Publish(crate::publish::PublishError::Object(endpoint));
        assert_eq!(ExitStatus::of_error(&publish), ExitStatus::Usage);
        assert_eq!(ExitStatus::partial_if(true) as u8, 3);
        assert_eq!(ExitStatus::partial_if(false) as u8, 0);
    }
}
