//! Progress on stderr for long scans, on a terminal only: nothing in CI logs or when piped. The
//! engine never prints; it counts (files walked, artifact entries read) into shared counters that a
//! small thread here shows after a short delay.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Counters the engine bumps as it reads.
#[derive(Debug, Default)]
pub struct Counters {
    pub files: AtomicU64,
    pub entries: AtomicU64,
}

pub struct Progress {
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// Starts the display when `show` (stderr is a terminal and this is not CI).
    pub fn start(counters: Option<&Arc<Counters>>, show: bool) -> Option<Progress> {
        let counters = counters?.clone();
        if !show {
            return None;
        }
        let done = Arc::new(AtomicBool::new(false));
        let stop = done.clone();
        let thread = std::thread::spawn(move || {
            // Quick runs show nothing.
            for _ in 0..5 {
                std::thread::sleep(Duration::from_millis(60));
                if stop.load(Ordering::Relaxed) {
                    return;
                }
            }
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            while !stop.load(Ordering::Relaxed) {
                let f = counters.files.load(Ordering::Relaxed);
                let e = counters.entries.load(Ordering::Relaxed);
                let mut msg = format!("scanning: {f} files");
                if e > 0 {
                    msg.push_str(&format!(", {e} artifact entries"));
                }
                bar.set_message(msg);
                bar.tick();
                std::thread::sleep(Duration::from_millis(80));
            }
            bar.finish_and_clear();
        });
        Some(Progress {
            done,
            thread: Some(thread),
        })
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
