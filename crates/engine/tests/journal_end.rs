//! A journal's reader always sees its end: closing the journal while the reader is about to
//! sleep must wake it once the ring is abandoned, never before (a reader woken before looked,
//! found the ring still held, and slept for good: a publisher's replay that never ended).

use std::sync::Arc;
use std::sync::mpsc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use depthbook_engine::{Engine, EngineConfig, JournalReader};
use depthbook_venues::Venue;

/// Wakes a parked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Reads `journal` to its end as an async reader does, parking between polls.
fn read_to_end(mut journal: JournalReader) -> u64 {
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut buf = Vec::new();
    let mut records = 0;
    loop {
        match journal.poll_ready(&mut cx) {
            Poll::Ready(_) => {
                while journal.try_next(&mut buf).is_some() {
                    records += 1;
                }
                if journal.is_finished() {
                    return records;
                }
            }
            Poll::Pending => thread::park(),
        }
    }
}

#[test]
fn a_reader_asleep_when_the_journal_closes_wakes_to_its_end() {
    for round in 0..2_000 {
        let mut engine = Engine::new(EngineConfig::new(Venue::Okx));
        let journal = engine.journal(1 << 16);
        let (done_tx, done_rx) = mpsc::channel();
        let reader = thread::spawn(move || {
            let _ = done_tx.send(read_to_end(journal));
        });
        // Let the reader go to sleep about now, or not: both orders must end.
        if round % 2 == 0 {
            thread::yield_now();
        }
        engine.close_journal();
        // Not a timing check: a reader that missed the end never answers at all.
        let records = done_rx.recv_timeout(Duration::from_secs(30));
        assert_eq!(records, Ok(0), "round {round}: the reader did not see the journal end");
        reader.join().unwrap();
    }
}
