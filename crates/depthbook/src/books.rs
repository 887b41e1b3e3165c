//! [`Books`]: the running ingest loop's readers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// The readers of a running feed ([`crate::Feed::start`]): a latest-value reader per symbol
/// and the stream of views and state changes. Dropping it stops the loop.
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
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<Counters, Error>>>,
    instruments: Vec<InstrumentInfo>,
}

impl Books {
    pub(crate) fn new(
        readers: Vec<SymbolReaders>,
        updates: Receiver<Update>,
        stop: Arc<AtomicBool>,
        thread: JoinHandle<Result<Counters, Error>>,
    ) -> Self {
        Self { readers, updates, stop, thread: Some(thread), instruments: Vec::new() }
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

    /// Stops the loop (a live feed disconnects and finishes its capture) and returns the
    /// engine's counters. Dropping the [`Books`] stops it too, without the counters.
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
