//! The handoff from network tasks to the ingest loop.
//!
//! Each producer (the connection task, the REST task, the timer) owns one bounded, wait-free
//! single-producer ring (`rtrb`); the loop owns every ring's other end and takes from them in
//! turn. While inputs flow, neither side takes a lock or makes a system call:
//!
//! - [`WaitMode::BusyPoll`]: the loop spins on the rings (give it a core of its own) and a
//!   producer never wakes anyone. The lowest latency, a core's worth of power.
//! - [`WaitMode::Park`] (the default): the loop spins a moment on empty rings, then raises
//!   `parked` and parks its thread; a producer that finds the flag raised after its push lowers
//!   it and unparks the loop. The wake (a futex) happens only after an idle spell.
//!
//! A full ring makes its producer wait, asynchronously, until the loop takes from that ring:
//! back-pressure to the socket, as a bounded channel gives. Inputs of one producer come out in
//! the order they went in; inputs of different producers were never ordered (each carries its
//! receive time).
//!
//! Invariants: a parked loop is woken by the first push after it raised `parked` (both sides
//! order the flag and the ring's index with a `SeqCst` fence, so one of them sees the other);
//! a producer waiting for room is woken by the first take that leaves its ring one short of
//! full (a permit is kept if it has not started waiting yet).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use std::sync::{Arc, Mutex};
use std::thread::Thread;

use rtrb::{Consumer, Producer, RingBuffer};
use tokio::sync::Notify;

use crate::error::NetError;
use crate::input::Input;

/// How the ingest loop waits when no input is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WaitMode {
    /// Spin briefly, then park the thread until a producer pushes (default).
    #[default]
    Park,
    /// Never park: spin on the rings. Pin the loop to a core no other busy thread uses.
    BusyPoll,
}

/// Empty polls of every ring before a parking loop parks (a few microseconds).
const SPINS_BEFORE_PARK: u32 = 256;

/// What the loop and every producer share.
#[derive(Debug)]
struct Shared {
    mode: WaitMode,
    // The loop is parked, or about to park: the next push must unpark it.
    parked: AtomicBool,
    // The loop's thread, stored before each park (only the idle path locks it).
    loop_thread: Mutex<Option<Thread>>,
    // The loop has stopped taking inputs: producers stop.
    closed: AtomicBool,
    // Producers not dropped yet (each lowers it before its last wake of the loop).
    producers: AtomicUsize,
}

impl Shared {
    /// After a push: wakes the loop if it is parked or about to park.
    #[inline]
    fn wake_loop(&self) {
        if self.mode == WaitMode::BusyPoll {
            return;
        }
        // Pairs with the fence in `Inputs::park`: either the loop sees this push when it looks
        // at the rings again, or this sees `parked`.
        fence(Ordering::SeqCst);
        if self.parked.load(Ordering::Relaxed) && self.parked.swap(false, Ordering::AcqRel) {
            let thread = self.loop_thread.lock().ok().and_then(|t| t.clone());
            if let Some(thread) = thread {
                thread.unpark();
            }
        }
    }
}

/// One producer's end: a network task's way to the ingest loop.
#[derive(Debug)]
pub struct InputSender {
    ring: Producer<Input>,
    // Signalled by the loop when it takes from this ring while it is full.
    room: Arc<Notify>,
    shared: Arc<Shared>,
}

impl InputSender {
    /// Hands `input` to the loop, waiting (asynchronously) while this producer's ring is full.
    ///
    /// # Errors
    /// [`NetError::LoopStopped`] once the loop has stopped taking inputs.
    pub async fn send(&mut self, input: Input) -> Result<(), NetError> {
        let mut input = input;
        loop {
            match self.try_send(input) {
                Ok(()) => return Ok(()),
                Err(_) if self.is_closed() => return Err(NetError::LoopStopped),
                Err(back) => {
                    input = back;
                    // A take since the failed push left a permit: this returns at once.
                    self.room.notified().await;
                }
            }
        }
    }

    /// Hands `input` to the loop if its ring has room, without waiting.
    ///
    /// # Errors
    /// The input itself, undelivered: the ring is full, or the loop has stopped
    /// ([`InputSender::is_closed`]).
    pub fn try_send(&mut self, input: Input) -> Result<(), Input> {
        if self.is_closed() {
            return Err(input);
        }
        match self.ring.push(input) {
            Ok(()) => {
                self.shared.wake_loop();
                Ok(())
            }
            Err(rtrb::PushError::Full(input)) => Err(input),
        }
    }

    /// Whether the loop has stopped taking inputs.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }
}

impl Drop for InputSender {
    fn drop(&mut self) {
        // The loop may be parked waiting for this producer: let it see it gone (the count
        // first, so that the woken loop finds it lowered).
        self.shared.producers.fetch_sub(1, Ordering::Release);
        self.shared.wake_loop();
    }
}

/// The loop's end: every producer's ring.
#[derive(Debug)]
pub struct Inputs {
    rings: Vec<(Consumer<Input>, Arc<Notify>)>,
    // The ring to look at first next time (fairness between producers).
    next: usize,
    shared: Arc<Shared>,
}

/// A handoff for one producer per entry of `capacities`, each with a ring of that many inputs
/// (at least one).
pub fn handoff(capacities: &[usize], mode: WaitMode) -> (Inputs, Vec<InputSender>) {
    let shared = Arc::new(Shared {
        mode,
        parked: AtomicBool::new(false),
        loop_thread: Mutex::new(None),
        closed: AtomicBool::new(false),
        producers: AtomicUsize::new(capacities.len()),
    });
    let mut rings = Vec::with_capacity(capacities.len());
    let mut senders = Vec::with_capacity(capacities.len());
    for &capacity in capacities {
        let (producer, consumer) = RingBuffer::new(capacity.max(1));
        let room = Arc::new(Notify::new());
        rings.push((consumer, Arc::clone(&room)));
        senders.push(InputSender { ring: producer, room, shared: Arc::clone(&shared) });
    }
    (Inputs { rings, next: 0, shared }, senders)
}

impl Inputs {
    /// The next input of any producer, if one is ready.
    #[inline]
    pub fn try_recv(&mut self) -> Option<Input> {
        let n = self.rings.len();
        for k in 0..n {
            let i = (self.next + k) % n;
            let (ring, room) = &mut self.rings[i];
            if let Ok(input) = ring.pop() {
                // A fresh look at the producer's index after the take: one slot short of full
                // (or full again) means the ring was full, and its producer may be waiting for
                // this slot. (A look before the take can miss a push that fills the ring in
                // between, and that producer would wait for ever.)
                if ring.slots() + 1 >= ring.buffer().capacity() {
                    room.notify_one();
                }
                self.next = (i + 1) % n;
                return Some(input);
            }
        }
        None
    }

    /// The next input, waiting as the mode says; `None` once closed, or once every producer is
    /// gone and its ring drained.
    pub fn recv(&mut self) -> Option<Input> {
        let mut spins = 0u32;
        loop {
            if self.shared.closed.load(Ordering::Relaxed) {
                return None;
            }
            if let Some(input) = self.try_recv() {
                return Some(input);
            }
            if self.producers_gone() && self.rings.iter().all(|(ring, _)| ring.is_empty()) {
                return None;
            }
            match self.shared.mode {
                WaitMode::BusyPoll => std::hint::spin_loop(),
                WaitMode::Park if spins < SPINS_BEFORE_PARK => {
                    spins += 1;
                    std::hint::spin_loop();
                }
                WaitMode::Park => {
                    if let Some(input) = self.park() {
                        return Some(input);
                    }
                    spins = 0;
                }
            }
        }
    }

    /// Raises `parked` and parks unless an input arrived meanwhile (returned).
    fn park(&mut self) -> Option<Input> {
        if let Ok(mut thread) = self.shared.loop_thread.lock() {
            *thread = Some(std::thread::current());
        }
        self.shared.parked.store(true, Ordering::SeqCst);
        // Pairs with the fence in `Shared::wake_loop` (see there).
        fence(Ordering::SeqCst);
        if let Some(input) = self.try_recv() {
            self.shared.parked.store(false, Ordering::Relaxed);
            return Some(input);
        }
        if self.producers_gone() {
            self.shared.parked.store(false, Ordering::Relaxed);
            return None;
        }
        // Returns at once if a producer unparked since (the token), or spuriously: either way
        // the caller looks at the rings again.
        std::thread::park();
        self.shared.parked.store(false, Ordering::Relaxed);
        None
    }

    /// Before a thread that drives several loops parks: raises `parked` so that the next push
    /// unparks this thread, then looks at the rings once more. Returns true if they are all
    /// empty (park, then [`Inputs::disarm`]); false, with the flag lowered again, if an input
    /// came meanwhile or every producer is gone (do not park: take it).
    pub fn arm(&mut self) -> bool {
        if let Ok(mut thread) = self.shared.loop_thread.lock() {
            *thread = Some(std::thread::current());
        }
        self.shared.parked.store(true, Ordering::SeqCst);
        // Pairs with the fence in `Shared::wake_loop`, as in `park`.
        fence(Ordering::SeqCst);
        let empty = self.rings.iter().all(|(ring, _)| ring.is_empty());
        if !empty || self.producers_gone() || self.shared.closed.load(Ordering::Relaxed) {
            self.shared.parked.store(false, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// After a park that [`Inputs::arm`] prepared: lowers `parked`.
    pub fn disarm(&self) {
        self.shared.parked.store(false, Ordering::Relaxed);
    }

    /// Whether no input can come any more: closed, or every producer gone and its ring drained.
    pub fn is_finished(&self) -> bool {
        self.shared.closed.load(Ordering::Relaxed)
            || (self.producers_gone() && self.rings.iter().all(|(ring, _)| ring.is_empty()))
    }

    /// Whether every producer has been dropped (what it pushed before may still be queued).
    fn producers_gone(&self) -> bool {
        self.shared.producers.load(Ordering::Acquire) == 0
    }

    /// Stops taking inputs: every producer's next send fails, and waiting ones wake.
    pub fn close(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        for (_, room) in &self.rings {
            room.notify_one();
        }
    }

    /// The wait mode.
    pub fn mode(&self) -> WaitMode {
        self.shared.mode
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tick(now_ns: i64) -> Input {
        Input::Tick { now_ns }
    }

    fn ticks(inputs: &mut Inputs, n: usize) -> Vec<i64> {
        (0..n)
            .map(|_| match inputs.recv() {
                Some(Input::Tick { now_ns }) => now_ns,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn each_producer_keeps_its_order_and_rings_are_taken_in_turn() {
        let (mut inputs, mut senders) = handoff(&[4, 4], WaitMode::Park);
        for t in 0..3 {
            senders[0].try_send(tick(t)).unwrap();
            senders[1].try_send(tick(100 + t)).unwrap();
        }
        assert_eq!(ticks(&mut inputs, 6), [0, 100, 1, 101, 2, 102]);
        assert!(inputs.try_recv().is_none());
    }

    #[test]
    fn a_full_ring_hands_the_input_back_and_the_loop_ends_when_producers_are_gone() {
        let (mut inputs, mut senders) = handoff(&[2], WaitMode::BusyPoll);
        let mut sender = senders.pop().unwrap();
        sender.try_send(tick(1)).unwrap();
        sender.try_send(tick(2)).unwrap();
        assert!(matches!(sender.try_send(tick(3)), Err(Input::Tick { now_ns: 3 })));
        assert!(!sender.is_closed());
        drop(sender);
        assert_eq!(ticks(&mut inputs, 2), [1, 2]);
        assert!(inputs.recv().is_none());
    }

    #[test]
    fn a_closed_loop_refuses_inputs() {
        let (mut inputs, mut senders) = handoff(&[2], WaitMode::Park);
        inputs.close();
        assert!(senders[0].try_send(tick(1)).is_err());
        assert!(senders[0].is_closed());
        assert!(inputs.recv().is_none());
    }

    /// Both modes across threads: a producer far faster than its ring is deep waits for room
    /// (the async path), a slow one leaves the loop parked between inputs; nothing is lost,
    /// duplicated or reordered, and the loop ends when both are gone.
    #[test]
    fn inputs_cross_threads_in_order_in_both_modes() {
        const PER_PRODUCER: i64 = 20_000;
        for mode in [WaitMode::Park, WaitMode::BusyPoll] {
            let (mut inputs, senders) = handoff(&[8, 8], mode);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_time()
                .build()
                .unwrap();
            for (p, mut sender) in senders.into_iter().enumerate() {
                runtime.spawn(async move {
                    for t in 0..PER_PRODUCER {
                        if p == 1 && t % 2_000 == 0 {
                            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                        }
                        sender.send(tick(p as i64 * 1_000_000 + t)).await.unwrap();
                    }
                });
            }
            let mut next = [0i64, 1_000_000];
            let mut count = 0;
            while let Some(input) = inputs.recv() {
                let Input::Tick { now_ns } = input else { panic!("{input:?}") };
                let p = (now_ns / 1_000_000) as usize;
                assert_eq!(now_ns, next[p], "{mode:?}");
                next[p] += 1;
                count += 1;
            }
            assert_eq!(count, 2 * PER_PRODUCER, "{mode:?}");
            runtime.shutdown_background();
        }
    }
}
