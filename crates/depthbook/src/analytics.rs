//! Book queries a strategy needs, on a [`DepthView`] (the best levels as a reader got them):
//! no copy of the book on the ingest thread, exact decimals (`rust_decimal`) at the edge.
//!
//! ```
//! use depthbook::analytics::{cost_to_fill, depth_within_bps, imbalance, mid};
//! use depthbook::{Decimal, Feed, Side, Venue};
//!
//! let capture =
//!     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
//! let books = Feed::replay(Venue::Okx, ["BTC-USDT"], [capture]).with_depth().start()?;
//! let depth = books.depth("BTC-USDT").expect("kept with with_depth()").clone();
//! books.wait()?;
//! let view = depth.read();
//! assert!(view.is_live());
//! let buy = cost_to_fill(&view, Side::Ask, Decimal::ONE).expect("asks to take");
//! assert!(buy.average_price >= mid(&view).expect("both sides"));
//! assert!(depth_within_bps(&view, Side::Bid, 10).is_some());
//! assert!(imbalance(&view, 5).is_some_and(|i| i.abs() <= Decimal::ONE));
//! # Ok::<(), depthbook::Error>(())
//! ```

use depthbook_core::Side;
use depthbook_engine::DepthView;
use rust_decimal::Decimal;

/// Filling a size against one side of the book ([`cost_to_fill`]): `filled` is positive and
/// at most the size asked.
///
/// ```
/// use depthbook::analytics::cost_to_fill;
/// use depthbook::{Decimal, Feed, Side, Venue};
///
/// let capture =
///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
/// let books = Feed::replay(Venue::Okx, ["BTC-USD-220527"], [capture]).with_depth().start()?;
/// let depth = books.depth("BTC-USD-220527").expect("kept with with_depth()").clone();
/// books.wait()?;
/// let view = depth.read();
/// // Buying 5 takes the best ask, 3 at 30238.8, then 2 at 30240.1.
/// let fill = cost_to_fill(&view, Side::Ask, Decimal::from(5)).expect("asks to take");
/// assert_eq!((fill.filled, fill.cost), (Decimal::from(5), "151196.6".parse()?));
/// assert_eq!(fill.average_price, "30239.32".parse()?);
/// // Asking for more than the view shows fills what it shows.
/// let all = cost_to_fill(&view, Side::Ask, Decimal::from(1_000_000)).expect("asks to take");
/// assert_eq!(all.filled, view.asks().iter().map(|(_, qty)| qty.to_decimal()).sum());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    /// How much the visible levels could fill (less than asked if they run out).
    pub filled: Decimal,
    /// What it costs: sum of price × size over the levels taken.
    pub cost: Decimal,
    /// `cost / filled`.
    pub average_price: Decimal,
}

/// The mid price, `(best bid + best ask) / 2`, if both sides have a level.
///
/// ```
/// use depthbook::analytics::mid;
/// use depthbook::{Feed, Venue};
///
/// let capture =
///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
/// let books = Feed::replay(Venue::Okx, ["BTC-USD-220527"], [capture]).with_depth().start()?;
/// let depth = books.depth("BTC-USD-220527").expect("kept with with_depth()").clone();
/// books.wait()?;
/// // The capture's last book: best bid 30229.4, best ask 30238.8.
/// assert_eq!(mid(&depth.read()), Some("30234.1".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn mid(view: &DepthView) -> Option<Decimal> {
    let (bid, ask) = (view.bids().first()?, view.asks().first()?);
    Some((bid.0.to_decimal() + ask.0.to_decimal()) / Decimal::TWO)
}

/// Taking `size` from `side` (asks to buy, bids to sell), best levels first. `None` if the
/// side is empty or `size` is not positive. Only the levels the view holds are counted (at most
/// [`crate::DEPTH_LEVELS`]).
///
/// ```
/// use depthbook::analytics::cost_to_fill;
/// use depthbook::{Decimal, Feed, Side, Venue};
///
/// let capture =
///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
/// let books = Feed::replay(Venue::Okx, ["BTC-USD-220527"], [capture]).with_depth().start()?;
/// let depth = books.depth("BTC-USD-220527").expect("kept with with_depth()").clone();
/// books.wait()?;
/// let view = depth.read();
/// // Selling 5 hits 2 at 30229.4, 2 at 30228.1 and 1 at 30209.9.
/// let sell = cost_to_fill(&view, Side::Bid, Decimal::from(5)).expect("bids to hit");
/// assert_eq!(sell.average_price, "30224.98".parse()?);
/// assert_eq!(cost_to_fill(&view, Side::Bid, Decimal::ZERO), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn cost_to_fill(view: &DepthView, side: Side, size: Decimal) -> Option<Fill> {
    if size <= Decimal::ZERO {
        return None;
    }
    let (mut filled, mut cost) = (Decimal::ZERO, Decimal::ZERO);
    for (price, qty) in view.side(side) {
        let take = (size - filled).min(qty.to_decimal());
        cost += take * price.to_decimal();
        filled += take;
        if filled == size {
            break;
        }
    }
    (filled > Decimal::ZERO).then(|| Fill { filled, cost, average_price: cost / filled })
}

/// The size resting on `side` within `bps` basis points of the mid price (bounds included),
/// over the levels the view holds; `None` unless both sides have a level.
///
/// ```
/// use depthbook::analytics::depth_within_bps;
/// use depthbook::{Decimal, Feed, Side, Venue};
///
/// let capture =
///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
/// let books = Feed::replay(Venue::Okx, ["BTC-USD-220527"], [capture]).with_depth().start()?;
/// let depth = books.depth("BTC-USD-220527").expect("kept with with_depth()").clone();
/// books.wait()?;
/// let view = depth.read();
/// // 2 bps of the mid 30234.1 is about 6.05: bids 30229.4 x 2 and 30228.1 x 2 are within it,
/// // and so are asks 30238.8 x 3 and 30240.1 x 2.
/// assert_eq!(depth_within_bps(&view, Side::Bid, 2), Some(Decimal::from(4)));
/// assert_eq!(depth_within_bps(&view, Side::Ask, 2), Some(Decimal::from(5)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn depth_within_bps(view: &DepthView, side: Side, bps: u32) -> Option<Decimal> {
    let mid = mid(view)?;
    let band = mid * Decimal::from(bps) / Decimal::from(10_000);
    let within = |price: Decimal| match side {
        Side::Bid => price >= mid - band,
        Side::Ask => price <= mid + band,
    };
    Some(
        view.side(side)
            .iter()
            .take_while(|(p, _)| within(p.to_decimal()))
            .map(|(_, q)| q.to_decimal())
            .sum(),
    )
}

/// Order-book imbalance over the best `levels` a side: `(bids - asks) / (bids + asks)`, in
/// [-1, 1] (positive: more size bid than offered); `None` if both sides are empty.
///
/// ```
/// use depthbook::analytics::imbalance;
/// use depthbook::{Decimal, Feed, Venue};
///
/// let capture =
///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
/// let books = Feed::replay(Venue::Okx, ["BTC-USD-220527"], [capture]).with_depth().start()?;
/// let depth = books.depth("BTC-USD-220527").expect("kept with with_depth()").clone();
/// books.wait()?;
/// let view = depth.read();
/// // Best level: bid 2, ask 3. Best two: bids 2 + 2, asks 3 + 2.
/// assert_eq!(imbalance(&view, 1), Some("-0.2".parse()?));
/// assert_eq!(imbalance(&view, 2), Some(Decimal::from(-1) / Decimal::from(9)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn imbalance(view: &DepthView, levels: usize) -> Option<Decimal> {
    let total = |side| -> Decimal {
        view.side(side).iter().take(levels).map(|(_, q)| q.to_decimal()).sum()
    };
    let (bids, asks) = (total(Side::Bid), total(Side::Ask));
    let sum = bids + asks;
    (sum > Decimal::ZERO).then(|| (bids - asks) / sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use depthbook_engine::{Engine, EngineConfig};
    use depthbook_venues::{Frame, Venue};

    /// A Live OKX book: bids 100 x 1, 99 x 2; asks 101 x 3, 102 x 4.
    fn view() -> DepthView {
        let mut engine = Engine::new(EngineConfig::new(Venue::Okx));
        let snapshot = br#"{"arg":{"channel":"books","instId":"X"},"action":"snapshot","data":[{"asks":[["101","3","0","1"],["102","4","0","1"]],"bids":[["100","1","0","1"],["99","2","0","1"]],"ts":"1","checksum":0}]}"#;
        engine.ingest(&Frame::stream(snapshot), 0);
        let reader = engine.depth_reader(0).unwrap();
        reader.read()
    }

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn queries_on_a_known_book() {
        let view = view();
        assert!(view.is_live());
        assert_eq!(mid(&view), Some(d("100.5")));
        // Buying 5: 3 at 101, 2 at 102.
        let fill = cost_to_fill(&view, Side::Ask, d("5")).unwrap();
        assert_eq!((fill.filled, fill.cost), (d("5"), d("507")));
        assert_eq!(fill.average_price, d("101.4"));
        // Selling more than is shown fills what is shown.
        let fill = cost_to_fill(&view, Side::Bid, d("10")).unwrap();
        assert_eq!((fill.filled, fill.cost), (d("3"), d("298")));
        assert_eq!(cost_to_fill(&view, Side::Bid, d("0")), None);
        // 50 bps of 100.5 is 0.5025: bid 100 and ask 101 are within it, 99 and 102 are not.
        assert_eq!(depth_within_bps(&view, Side::Bid, 50), Some(d("1")));
        assert_eq!(depth_within_bps(&view, Side::Ask, 50), Some(d("3")));
        assert_eq!(depth_within_bps(&view, Side::Ask, 200), Some(d("7")));
        // (3 - 7) / 10 over both levels; (1 - 3) / 4 over the best.
        assert_eq!(imbalance(&view, 2), Some(d("-0.4")));
        assert_eq!(imbalance(&view, 1), Some(d("-0.5")));
    }
}
