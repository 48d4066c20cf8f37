//! Ctrl-C: exit 130 (128 + SIGINT, as shells report it), with one line on
//! stderr, and the terminal's echo given back if a passphrase prompt had
//! turned it off (exiting from the handler skips the prompt's own restore).

#[cfg(unix)]
use std::sync::Mutex;

/// The terminal settings to put back on interrupt, while a prompt runs.
#[cfg(unix)]
static SAVED: Mutex<Option<(std::fs::File, rustix::termios::Termios)>> = Mutex::new(None);

/// Set by a command that handles SIGINT itself (the proxy drains).
static HANDED_OVER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// From now on SIGINT is the caller's to handle: no exit 130.
pub fn hand_over() {
    HANDED_OVER.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Installs the SIGINT handler (once, at start-up).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if HANDED_OVER.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        restore_terminal();
        let _ = std::io::Write::write_all(&mut std::io::stderr(), b"jira-oauth: interrupted\n");
        std::process::exit(130);
    });
}

/// Keeps the terminal's settings, to restore them on Ctrl-C, for as long
/// as it lives: made before a prompt that turns the echo off.
pub struct TerminalGuard(());

impl TerminalGuard {
    /// Saves `/dev/tty`'s settings (the terminal rpassword prompts on).
    pub fn save() -> TerminalGuard {
        #[cfg(unix)]
        {
            if let Ok(tty) = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/tty")
            {
                if let Ok(t) = rustix::termios::tcgetattr(&tty) {
                    if let Ok(mut saved) = SAVED.lock() {
                        *saved = Some((tty, t));
                    }
                }
            }
        }
        TerminalGuard(())
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Ok(mut saved) = SAVED.lock() {
            *saved = None;
        }
    }
}

fn restore_terminal() {
    #[cfg(unix)]
    {
        // try_lock: the handler must not wait on a thread it interrupted.
        if let Ok(saved) = SAVED.try_lock() {
            if let Some((tty, t)) = saved.as_ref() {
                let _ = rustix::termios::tcsetattr(tty, rustix::termios::OptionalActions::Now, t);
            }
        }
    }
}
