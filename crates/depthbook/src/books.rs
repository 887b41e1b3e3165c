//! [`Books`]: the running ingest loop's readers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::thread::JoinHandle;

use crossbeam_channel::Receiver;
use depthbook_engine::{Counters, DepthReader, TopReader, Update};
use depthbook_venues::InstrumentInfo;

use crate::error::Error;

/// One symbol's readers.
#[derive(Debug)]
pub(crate) struct SymbolReaders {
    pub(crate) symbol: String,
    pub(crate) top: TopReader,
    pub(crate) depth: Option<DepthReader>,
}

/// How the owner of a running loop asks it to end: shared by [`Books`] and the loop's thread,
/// which checks it before every input (a record of a replay; a frame, REST body or timer tick
/// of a live feed, which ticks every 100 ms whatever the network does).
///
/// Invariant: it only moves forward, running → stopping → abandoned.
#[derive(Debug, Default)]
pub(crate) struct Control(AtomicU8);

impl Control {
    const RUNNING: u8 = 0;
    /// End, and shut the network side down in order ([`Books::stop`]).
    const STOPPING: u8 = 1;
    /// End, and let go of the network side at once ([`Books`] dropped).
    const ABANDONED: u8 = 2;

    /// Asks the loop to end and shut down in order.
    pub(crate) fn stop(&self) {
        self.0.fetch_max(Self::STOPPING, Ordering::Relaxed);
    }

    /// Asks the loop to end without waiting for anything on the network side.
    pub(crate) fn abandon(&self) {
        self.0.store(Self::ABANDONED, Ordering::Relaxed);
    }

    /// Whether the loop should end.
    pub(crate) fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed) != Self::RUNNING
    }

    /// Whether the loop should end without a shutdown in order.
    pub(crate) fn is_abandoned(&self) -> bool {
        self.0.load(Ordering::Relaxed) == Self::ABANDONED
    }
}

/// The readers of a running feed ([`crate::Feed::start`]): a latest-value reader per symbol
/// and the stream of views and state changes. Dropping it stops the loop and waits for its
/// thread to end, which is prompt: the loop notices at its next input (a live feed ticks every
/// 100 ms) and lets go of the network side without waiting for it (no connect or request
/// timeout, no reconnect backoff, no runtime shutdown); once the drop returns, nothing writes
/// the readers any more. It may be dropped in async code (it blocks that briefly).
///
/// ```
/// use depthbook::{Feed, Update, Venue};
///
/// let capture =
///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
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
    control: Arc<Control>,
    thread: Option<JoinHandle<Result<Counters, Error>>>,
    instruments: Vec<InstrumentInfo>,
}

impl Books {
    pub(crate) fn new(
        readers: Vec<SymbolReaders>,
        updates: Receiver<Update>,
        control: Arc<Control>,
        thread: JoinHandle<Result<Counters, Error>>,
    ) -> Self {
        Self { readers, updates, control, thread: Some(thread), instruments: Vec::new() }
    }

    pub(crate) fn with_instruments(mut self, instruments: Vec<InstrumentInfo>) -> Self {
        self.instruments = instruments;
        self
    }

    /// What the venue says about `symbol` (tick, lot, minimum and contract sizes, decimals), if
    /// the feed fetched it ([`crate::Feed::instruments`]) and the venue lists the symbol.
    ///
    /// ```no_run
    /// use depthbook::{Decimal, Feed, Venue};
    ///
    /// let books = Feed::live(Venue::Okx, ["BTC-USDT"]).instruments().start()?;
    /// if let Some(info) = books.instrument("BTC-USDT") {
    ///     // Round a quote to the venue's tick before sending it.
    ///     let tick = info.tick_size.unwrap_or(Decimal::ONE);
    ///     let price = (Decimal::new(6512345, 2) / tick).floor() * tick;
    ///     println!("{price}");
    /// }
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn instrument(&self, symbol: &str) -> Option<&InstrumentInfo> {
        self.instruments.iter().find(|i| i.symbol == symbol)
    }

    /// The latest-value reader of `symbol`: never blocks, never tears; clone it into as many
    /// threads as needed. `None` for a symbol the feed does not track.
    ///
    /// ```
    /// use depthbook::{Feed, Venue};
    ///
    /// let capture =
    ///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
    /// let books = Feed::replay(Venue::Okx, ["BTC-USD-220527"], [capture]).start()?;
    /// assert!(books.top("ETH-USDT").is_none());
    /// let reader = books.top("BTC-USD-220527").expect("tracked").clone();
    /// books.wait()?;
    /// let latest = reader.read();
    /// assert!(latest.is_live());
    /// let (bid, _) = latest.top.and_then(|top| top.bid).expect("a bid");
    /// assert_eq!(bid.to_decimal(), "30229.4".parse()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn top(&self, symbol: &str) -> Option<&TopReader> {
        self.readers.iter().find(|r| r.symbol == symbol).map(|r| &r.top)
    }

    /// The depth reader of `symbol` (the best [`crate::DEPTH_LEVELS`] levels a side), if the
    /// feed keeps them ([`crate::Feed::with_depth`]); `None` otherwise, or for a symbol the
    /// feed does not track.
    ///
    /// ```
    /// use depthbook::{Decimal, Feed, Venue};
    ///
    /// let capture =
    ///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
    /// let plain = Feed::replay(Venue::Okx, ["BTC-USD-220527"], [capture]).start()?;
    /// assert!(plain.depth("BTC-USD-220527").is_none());
    /// let books = Feed::replay(Venue::Okx, ["BTC-USD-220527"], [capture]).with_depth().start()?;
    /// let depth = books.depth("BTC-USD-220527").expect("kept with with_depth()").clone();
    /// books.wait()?;
    /// let view = depth.read();
    /// let (price, qty) = view.asks()[1]; // the second best ask
    /// assert_eq!((price.to_decimal(), qty.to_decimal()), ("30240.1".parse()?, Decimal::TWO));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn depth(&self, symbol: &str) -> Option<&DepthReader> {
        self.readers.iter().find(|r| r.symbol == symbol).and_then(|r| r.depth.as_ref())
    }

    /// Every tracked symbol with its latest-value reader, in the order given.
    ///
    /// ```
    /// use depthbook::{Feed, Venue};
    ///
    /// let capture =
    ///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
    /// let books = Feed::replay(Venue::Okx, ["BTC-USDT", "UNI-USD-SWAP"], [capture]).start()?;
    /// let symbols: Vec<&str> = books.readers().map(|(symbol, _)| symbol).collect();
    /// assert_eq!(symbols, ["BTC-USDT", "UNI-USD-SWAP"]);
    /// let readers: Vec<_> = books.readers().map(|(_, reader)| reader.clone()).collect();
    /// books.wait()?;
    /// assert!(readers.iter().all(|reader| reader.read().is_live()));
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn readers(&self) -> impl Iterator<Item = (&str, &TopReader)> {
        self.readers.iter().map(|r| (r.symbol.as_str(), &r.top))
    }

    /// The stream of views and state changes (Live, Stale with its reason), in the order they
    /// happened, under the feed's slow-consumer policy ([`crate::Feed::updates`]). A strategy
    /// that only uses the readers may ignore it: once full, new views are dropped and counted
    /// (`views_dropped`), never waited for.
    ///
    /// ```
    /// use depthbook::{Feed, Update, Venue};
    ///
    /// let capture =
    ///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
    /// let books = Feed::replay(Venue::Okx, ["BTC-USDT"], [capture]).start()?;
    /// let stream = books.updates().clone();
    /// let counters = books.wait()?;
    /// // The default capacity held every view the loop published.
    /// let views = stream.try_iter().filter(|u| matches!(u, Update::Book(_))).count();
    /// assert_eq!(views as u64, counters.published);
    /// assert_eq!(counters.views_dropped, 0);
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn updates(&self) -> &Receiver<Update> {
        &self.updates
    }

    /// Whether the ingest loop has ended (a replay at the end of its captures). Never blocks;
    /// [`Books::wait`] then returns at once.
    ///
    /// ```
    /// use depthbook::{Feed, Venue};
    ///
    /// let capture =
    ///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
    /// let books = Feed::replay(Venue::Okx, ["BTC-USDT"], [capture]).start()?;
    /// while !books.is_finished() {
    ///     std::thread::sleep(std::time::Duration::from_millis(1));
    /// }
    /// assert!(books.top("BTC-USDT").expect("tracked").read().is_live());
    /// assert_eq!(books.wait()?.checksum_failures, 0);
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits for the loop to end by itself (a replay), and returns the engine's counters. A
    /// live feed runs until [`Books::stop`] (or until its network side fails).
    ///
    /// # Errors
    /// What ended the loop: a capture that could not be read, a network shutdown error.
    ///
    /// ```
    /// use depthbook::{Feed, Venue};
    ///
    /// let capture =
    ///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
    /// let counters = Feed::replay(Venue::Okx, ["BTC-USDT"], [capture]).start()?.wait()?;
    /// // Every OKX update carries a checksum: all 98 applied to BTC-USDT verified.
    /// assert_eq!((counters.applied, counters.checksums_verified), (98, 98));
    /// assert_eq!((counters.checksum_failures, counters.gaps), (0, 0));
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn wait(mut self) -> Result<Counters, Error> {
        self.join()
    }

    /// Stops the loop (a live feed disconnects and finishes its capture, giving its network
    /// tasks up to 2 s to end) and returns the engine's counters. Dropping the [`Books`] stops
    /// it too, without the counters and without waiting for the network tasks.
    ///
    /// # Errors
    /// As [`Books::wait`].
    ///
    /// ```no_run
    /// use depthbook::{Feed, Venue};
    ///
    /// let books = Feed::live(Venue::Okx, ["BTC-USDT"]).start()?;
    /// std::thread::sleep(std::time::Duration::from_secs(10));
    /// let counters = books.stop()?;
    /// println!("{} verified, {} resyncs", counters.checksums_verified, counters.resyncs);
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn stop(mut self) -> Result<Counters, Error> {
        self.control.stop();
        self.join()
    }

    fn join(&mut self) -> Result<Counters, Error> {
        let thread = self.thread.take().ok_or(Error::Panicked)?;
        thread.join().map_err(|_| Error::Panicked)?
    }
}

impl Drop for Books {
    /// Abandons the loop (see [`Books`]) and waits for its thread, which ends at its next
    /// input. A loop already ended (waited for or stopped) is not waited for again.
    fn drop(&mut self) {
        self.control.abandon();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
