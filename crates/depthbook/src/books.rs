//! [`Books`]: the running ingest loop's readers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use crossbeam_channel::Receiver;
use depthbook_engine::{Counters, DepthReader, TopReader, Update};

use crate::error::Error;

/// One symbol's readers.
#[derive(Debug)]
pub(crate) struct SymbolReaders {
    pub(crate) symbol: String,
    pub(crate) top: TopReader,
    pub(crate) depth: Option<DepthReader>,
}

/// The readers of a running feed ([`crate::Feed::start`]): a latest-value reader per symbol
/// and the stream of views and state changes. Dropping it stops the loop.
///
/// ```
/// use depthbook::{Feed, Update, Venue};
///
/// let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
/// let books = Feed::replay(Venue::Okx, ["BTC-USDT", "UNI-USD-SWAP"], [capture]).start()?;
/// let uni = books.top("UNI-USD-SWAP").expect("tracked").clone();
/// let views = books.updates().clone();
/// let counters = books.wait()?;
/// assert!(uni.read().is_live());
/// assert!(views.try_iter().any(|u| matches!(u, Update::Book(_))));
/// assert_eq!(counters.checksum_failures, 0);
/// # Ok::<(), depthbook::Error>(())
/// ```
#[derive(Debug)]
pub struct Books {
    readers: Vec<SymbolReaders>,
    updates: Receiver<Update>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<Counters, Error>>>,
}

impl Books {
    pub(crate) fn new(
        readers: Vec<SymbolReaders>,
        updates: Receiver<Update>,
        stop: Arc<AtomicBool>,
        thread: JoinHandle<Result<Counters, Error>>,
    ) -> Self {
        Self { readers, updates, stop, thread: Some(thread) }
    }

    /// The latest-value reader of `symbol`: never blocks, never tears; clone it into as many
    /// threads as needed. `None` for a symbol the feed does not track.
    pub fn top(&self, symbol: &str) -> Option<&TopReader> {
        self.readers.iter().find(|r| r.symbol == symbol).map(|r| &r.top)
    }

    /// The depth reader of `symbol`, if the feed keeps them ([`crate::Feed::with_depth`]).
    pub fn depth(&self, symbol: &str) -> Option<&DepthReader> {
        self.readers.iter().find(|r| r.symbol == symbol).and_then(|r| r.depth.as_ref())
    }

    /// Every tracked symbol with its latest-value reader, in the order given.
    pub fn readers(&self) -> impl Iterator<Item = (&str, &TopReader)> {
        self.readers.iter().map(|r| (r.symbol.as_str(), &r.top))
    }

    /// The stream of views and state changes (Live, Stale with its reason), in the order they
    /// happened, under the feed's slow-consumer policy ([`crate::Feed::updates`]). A strategy
    /// that only uses the readers may ignore it: once full, new views are dropped and counted
    /// (`views_dropped`), never waited for.
    pub fn updates(&self) -> &Receiver<Update> {
        &self.updates
    }

    /// Whether the ingest loop has ended (a replay at the end of its captures).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits for the loop to end by itself (a replay), and returns the engine's counters.
    ///
    /// # Errors
    /// What ended the loop: a capture that could not be read, a network shutdown error.
    pub fn wait(mut self) -> Result<Counters, Error> {
        self.join()
    }

    /// Stops the loop (a live feed disconnects and finishes its capture) and returns the
    /// engine's counters.
    ///
    /// # Errors
    /// As [`Books::wait`].
    pub fn stop(mut self) -> Result<Counters, Error> {
        self.stop.store(true, Ordering::Relaxed);
        self.join()
    }

    fn join(&mut self) -> Result<Counters, Error> {
        let thread = self.thread.take().ok_or(Error::Panicked)?;
        thread.join().map_err(|_| Error::Panicked)?
    }
}

impl Drop for Books {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
