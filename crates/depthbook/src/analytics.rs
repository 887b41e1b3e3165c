//! Book queries a strategy needs, on a [`DepthView`] (the best levels as a reader got them):
//! no copy of the book on the ingest thread, exact decimals (`rust_decimal`) at the edge.
//!
//! Every query answers `Ok(None)` when the view has nothing to answer with (an empty side), and
//! never panics on what the book holds: every addition, subtraction, product and quotient is
//! checked, and one that does not fit `rust_decimal`'s 96-bit mantissa (or would divide by
//! zero) is [`Error::Arithmetic`] naming the query and the operation. A price near the limit of
//! [`crate::Price`] (about 9.2 × 10^18) times a size near the limit of [`crate::Qty`] (about
//! 2.8 × 10^17), both without decimals, is such a product. Results are exact while they fit 28
//! decimal places; beyond that `rust_decimal` rounds.
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
//! let buy = cost_to_fill(&view, Side::Ask, Decimal::ONE)?.expect("asks to take");
//! assert!(buy.average_price >= mid(&view)?.expect("both sides"));
//! assert!(depth_within_bps(&view, Side::Bid, 10)?.is_some());
//! assert!(imbalance(&view, 5)?.is_some_and(|i| i.abs() <= Decimal::ONE));
//! # Ok::<(), depthbook::Error>(())
//! ```

use depthbook_core::{Price, Qty, Side};
use depthbook_engine::DepthView;
use rust_decimal::Decimal;

use crate::error::Error;

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
/// let fill = cost_to_fill(&view, Side::Ask, Decimal::from(5))?.expect("asks to take");
/// assert_eq!((fill.filled, fill.cost), (Decimal::from(5), "151196.6".parse()?));
/// assert_eq!(fill.average_price, "30239.32".parse()?);
/// // Asking for more than the view shows fills what it shows.
/// let all = cost_to_fill(&view, Side::Ask, Decimal::from(1_000_000))?.expect("asks to take");
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

/// The mid price, `(best bid + best ask) / 2`; `Ok(None)` unless both sides have a level.
///
/// # Errors
/// [`Error::Arithmetic`] if the sum does not fit a `Decimal` (it always does for two
/// [`crate::Price`]s: checked all the same).
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
/// assert_eq!(mid(&depth.read())?, Some("30234.1".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn mid(view: &DepthView) -> Result<Option<Decimal>, Error> {
    mid_of(view.bids(), view.asks())
}

/// Taking `size` from `side` (asks to buy, bids to sell), best levels first. `Ok(None)` if the
/// side is empty or `size` is not positive. Only the levels the view holds are counted (at most
/// [`crate::DEPTH_LEVELS`]).
///
/// # Errors
/// [`Error::Arithmetic`] if a level's price × size, or the running cost, does not fit a
/// `Decimal` (a price and a size near their types' limits, without decimals).
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
/// let sell = cost_to_fill(&view, Side::Bid, Decimal::from(5))?.expect("bids to hit");
/// assert_eq!(sell.average_price, "30224.98".parse()?);
/// assert_eq!(cost_to_fill(&view, Side::Bid, Decimal::ZERO)?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn cost_to_fill(view: &DepthView, side: Side, size: Decimal) -> Result<Option<Fill>, Error> {
    fill(view.side(side), size)
}

/// The size resting on `side` within `bps` basis points of the mid price (bounds included),
/// over the levels the view holds; `Ok(None)` unless both sides have a level.
///
/// # Errors
/// [`Error::Arithmetic`] if the band around the mid or the summed size does not fit a
/// `Decimal` (they always do for [`crate::Price`]s and [`crate::Qty`]s: checked all the same).
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
/// assert_eq!(depth_within_bps(&view, Side::Bid, 2)?, Some(Decimal::from(4)));
/// assert_eq!(depth_within_bps(&view, Side::Ask, 2)?, Some(Decimal::from(5)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn depth_within_bps(view: &DepthView, side: Side, bps: u32) -> Result<Option<Decimal>, Error> {
    depth_within(view.bids(), view.asks(), side, bps)
}

/// Order-book imbalance over the best `levels` a side: `(bids - asks) / (bids + asks)`, in
/// [-1, 1] (positive: more size bid than offered); `Ok(None)` if both sides are empty (or
/// `levels` is 0).
///
/// # Errors
/// [`Error::Arithmetic`] if a sum does not fit a `Decimal` (they always do for at most
/// [`crate::DEPTH_LEVELS`] [`crate::Qty`]s a side: checked all the same).
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
/// assert_eq!(imbalance(&view, 1)?, Some("-0.2".parse()?));
/// assert_eq!(imbalance(&view, 2)?, Decimal::from(-1).checked_div(Decimal::from(9)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn imbalance(view: &DepthView, levels: usize) -> Result<Option<Decimal>, Error> {
    imbalance_of(view.bids(), view.asks(), levels)
}

/// A checked operation's result: `None` (the result does not fit a `Decimal`, or a division by
/// zero) becomes [`Error::Arithmetic`] naming `what`.
fn checked(result: Option<Decimal>, what: &'static str) -> Result<Decimal, Error> {
    result.ok_or(Error::Arithmetic(what))
}

/// The sum of the sizes of `levels`, checked.
fn total<'a>(
    levels: impl IntoIterator<Item = &'a (Price, Qty)>,
    what: &'static str,
) -> Result<Decimal, Error> {
    levels
        .into_iter()
        .try_fold(Decimal::ZERO, |sum, (_, qty)| checked(sum.checked_add(qty.to_decimal()), what))
}

/// [`mid`] over the two sides, best first.
fn mid_of(bids: &[(Price, Qty)], asks: &[(Price, Qty)]) -> Result<Option<Decimal>, Error> {
    let (Some((bid, _)), Some((ask, _))) = (bids.first(), asks.first()) else { return Ok(None) };
    mid_of_prices(bid.to_decimal(), ask.to_decimal()).map(Some)
}

/// `(bid + ask) / 2`, checked.
fn mid_of_prices(bid: Decimal, ask: Decimal) -> Result<Decimal, Error> {
    let sum = checked(bid.checked_add(ask), "mid: best bid + best ask")?;
    checked(sum.checked_div(Decimal::TWO), "mid: (best bid + best ask) / 2")
}

/// [`cost_to_fill`] over one side's levels, best first.
///
/// Invariant: `filled <= size` throughout (each level takes at most what is left), and
/// `average_price` is only computed once `filled > 0`.
fn fill(levels: &[(Price, Qty)], size: Decimal) -> Result<Option<Fill>, Error> {
    if size <= Decimal::ZERO {
        return Ok(None);
    }
    let (mut filled, mut cost) = (Decimal::ZERO, Decimal::ZERO);
    for (price, qty) in levels {
        let left = checked(size.checked_sub(filled), "cost_to_fill: size - filled")?;
        let take = left.min(qty.to_decimal());
        let notional =
            checked(take.checked_mul(price.to_decimal()), "cost_to_fill: price × size of a level")?;
        cost = checked(cost.checked_add(notional), "cost_to_fill: sum of price × size")?;
        filled = checked(filled.checked_add(take), "cost_to_fill: sum of sizes")?;
        if filled >= size {
            break;
        }
    }
    if filled <= Decimal::ZERO {
        return Ok(None);
    }
    let average_price = checked(cost.checked_div(filled), "cost_to_fill: cost / filled")?;
    Ok(Some(Fill { filled, cost, average_price }))
}

/// [`depth_within_bps`] over the two sides, best first.
fn depth_within(
    bids: &[(Price, Qty)],
    asks: &[(Price, Qty)],
    side: Side,
    bps: u32,
) -> Result<Option<Decimal>, Error> {
    let Some(mid) = mid_of(bids, asks)? else { return Ok(None) };
    let band = checked(mid.checked_mul(Decimal::from(bps)), "depth_within_bps: mid × bps")?;
    let band =
        checked(band.checked_div(Decimal::from(10_000)), "depth_within_bps: mid × bps / 10 000")?;
    let (levels, bound) = match side {
        Side::Bid => (bids, checked(mid.checked_sub(band), "depth_within_bps: mid - band")?),
        Side::Ask => (asks, checked(mid.checked_add(band), "depth_within_bps: mid + band")?),
    };
    let within = |price: Decimal| match side {
        Side::Bid => price >= bound,
        Side::Ask => price <= bound,
    };
    let inside = levels.iter().take_while(|(price, _)| within(price.to_decimal()));
    total(inside, "depth_within_bps: sum of sizes").map(Some)
}

/// [`imbalance`] over the two sides, best first.
fn imbalance_of(
    bids: &[(Price, Qty)],
    asks: &[(Price, Qty)],
    levels: usize,
) -> Result<Option<Decimal>, Error> {
    let bid = total(bids.iter().take(levels), "imbalance: sum of bid sizes")?;
    let ask = total(asks.iter().take(levels), "imbalance: sum of ask sizes")?;
    let sum = checked(bid.checked_add(ask), "imbalance: bids + asks")?;
    // Sizes are positive (a ladder never holds a zero size): the sum is 0 only with no level.
    if sum <= Decimal::ZERO {
        return Ok(None);
    }
    let difference = checked(bid.checked_sub(ask), "imbalance: bids - asks")?;
    checked(difference.checked_div(sum), "imbalance: (bids - asks) / (bids + asks)").map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use depthbook_engine::{Engine, EngineConfig};
    use depthbook_venues::{Frame, Venue};

    /// A Live OKX book from a snapshot of `asks` and `bids` (price and size text).
    fn okx_view(asks: &[(&str, &str)], bids: &[(&str, &str)]) -> DepthView {
        let levels = |side: &[(&str, &str)]| {
            side.iter().map(|(p, q)| format!(r#"["{p}","{q}","0","1"]"#)).collect::<Vec<_>>()
        };
        let snapshot = format!(
            r#"{{"arg":{{"channel":"books","instId":"X"}},"action":"snapshot","data":[{{"asks":[{}],"bids":[{}],"ts":"1","checksum":0}}]}}"#,
            levels(asks).join(","),
            levels(bids).join(",")
        );
        let mut engine = Engine::new(EngineConfig::new(Venue::Okx));
        engine.ingest(&Frame::stream(snapshot.as_bytes()), 0);
        engine.depth_reader(0).unwrap().read()
    }

    /// A Live OKX book: bids 100 x 1, 99 x 2; asks 101 x 3, 102 x 4.
    fn view() -> DepthView {
        okx_view(&[("101", "3"), ("102", "4")], &[("100", "1"), ("99", "2")])
    }

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn price(mantissa: i64, scale: u8) -> Price {
        Price::new(mantissa, scale).unwrap()
    }

    fn qty(mantissa: i64, scale: u8) -> Qty {
        Qty::new(mantissa, scale).unwrap()
    }

    /// The largest price and size the fixed-point types hold, at `scale`.
    fn largest(scale: u8) -> (Price, Qty) {
        (price(i64::MAX, scale), qty(Qty::MAX_MANTISSA, scale))
    }

    #[test]
    fn queries_on_a_known_book() {
        let view = view();
        assert!(view.is_live());
        assert_eq!(mid(&view).unwrap(), Some(d("100.5")));
        // Buying 5: 3 at 101, 2 at 102.
        let fill = cost_to_fill(&view, Side::Ask, d("5")).unwrap().unwrap();
        assert_eq!((fill.filled, fill.cost), (d("5"), d("507")));
        assert_eq!(fill.average_price, d("101.4"));
        // Selling more than is shown fills what is shown.
        let fill = cost_to_fill(&view, Side::Bid, d("10")).unwrap().unwrap();
        assert_eq!((fill.filled, fill.cost), (d("3"), d("298")));
        assert_eq!(cost_to_fill(&view, Side::Bid, d("0")).unwrap(), None);
        assert_eq!(cost_to_fill(&view, Side::Bid, d("-1")).unwrap(), None);
        // 50 bps of 100.5 is 0.5025: bid 100 and ask 101 are within it, 99 and 102 are not.
        assert_eq!(depth_within_bps(&view, Side::Bid, 50).unwrap(), Some(d("1")));
        assert_eq!(depth_within_bps(&view, Side::Ask, 50).unwrap(), Some(d("3")));
        assert_eq!(depth_within_bps(&view, Side::Ask, 200).unwrap(), Some(d("7")));
        // (3 - 7) / 10 over both levels; (1 - 3) / 4 over the best.
        assert_eq!(imbalance(&view, 2).unwrap(), Some(d("-0.4")));
        assert_eq!(imbalance(&view, 1).unwrap(), Some(d("-0.5")));
        assert_eq!(imbalance(&view, 0).unwrap(), None);
    }

    #[test]
    fn empty_sides_answer_none() {
        let (p, q) = (price(100, 0), qty(1, 0));
        let one = [(p, q)];
        assert_eq!(mid_of(&one, &[]).unwrap(), None);
        assert_eq!(mid_of(&[], &one).unwrap(), None);
        assert_eq!(fill(&[], Decimal::MAX).unwrap(), None);
        assert_eq!(depth_within(&one, &[], Side::Bid, 10).unwrap(), None);
        assert_eq!(imbalance_of(&[], &[], 5).unwrap(), None);
        assert_eq!(imbalance_of(&one, &[], 5).unwrap(), Some(Decimal::ONE));
    }

    /// Largest price × largest size without decimals is about 2.7 × 10^36: beyond the 96-bit
    /// mantissa (7.9 × 10^28), with no decimals to round away. An error, no panic.
    #[test]
    fn a_price_times_a_size_beyond_96_bits_is_an_error() {
        let (p, q) = largest(0);
        let levels = [(p, q)];
        // 10^10 at 9.2 × 10^18 is already 9.2 × 10^28.
        for size in [q.to_decimal(), Decimal::from(10_000_000_000_u64), Decimal::MAX] {
            let got = fill(&levels, size);
            assert!(
                matches!(got, Err(Error::Arithmetic("cost_to_fill: price × size of a level"))),
                "{size}: {got:?}"
            );
        }
        // One unit at that price fits.
        let one = fill(&levels, Decimal::ONE).unwrap().unwrap();
        assert_eq!(
            (one.filled, one.cost, one.average_price),
            (Decimal::ONE, p.to_decimal(), p.to_decimal())
        );
        let message = Error::Arithmetic("cost_to_fill: price × size of a level").to_string();
        assert!(message.contains("cost_to_fill: price × size of a level"), "{message}");
        assert!(message.contains("96-bit"), "{message}");
    }

    /// Each level's price × size fits (7.4 × 10^28 < 7.9 × 10^28); their sum does not.
    #[test]
    fn a_cost_summed_beyond_96_bits_is_an_error() {
        let (p, _) = largest(0);
        let q = qty(8_000_000_000, 0);
        let levels = [(p, q), (price(i64::MAX - 1, 0), q)];
        assert!(fill(&levels[..1], Decimal::MAX).unwrap().is_some());
        let got = fill(&levels, Decimal::MAX);
        assert!(
            matches!(got, Err(Error::Arithmetic("cost_to_fill: sum of price × size"))),
            "{got:?}"
        );
    }

    /// With 18 decimals the same digits are about 9.2 and 0.29: the products fit (rounded to
    /// 28 decimal places at most), and every query answers.
    #[test]
    fn the_largest_mantissas_with_18_decimals_fit() {
        let (p, q) = largest(18);
        let bids = [(p, q); crate::DEPTH_LEVELS];
        let asks = [(p, q); crate::DEPTH_LEVELS];
        let fill = fill(&asks, Decimal::MAX).unwrap().unwrap();
        assert_eq!(fill.filled, q.to_decimal() * Decimal::from(crate::DEPTH_LEVELS));
        assert!(fill.cost > Decimal::from(53) && fill.cost < Decimal::from(54), "{fill:?}");
        assert_eq!(mid_of(&bids, &asks).unwrap(), Some(p.to_decimal()));
        assert_eq!(depth_within(&bids, &asks, Side::Bid, u32::MAX).unwrap(), Some(fill.filled));
        assert_eq!(imbalance_of(&bids, &asks, usize::MAX).unwrap(), Some(Decimal::ZERO));
        // The largest price with no decimals, the largest size with 18: about 2.7 × 10^18.
        let mixed = [(largest(0).0, q)];
        assert!(super::fill(&mixed, Decimal::MAX).unwrap().is_some());
    }

    /// Mid, band and sums of the largest prices and sizes without decimals fit, at any `bps`;
    /// the cost to fill does not.
    #[test]
    fn the_largest_mantissas_without_decimals() {
        let (p, q) = largest(0);
        let bids = [(price(i64::MAX - 1, 0), q); crate::DEPTH_LEVELS];
        let asks = [(p, q); crate::DEPTH_LEVELS];
        let mid = mid_of(&bids, &asks).unwrap().unwrap();
        assert_eq!(mid, d("9223372036854775806.5"));
        let all = q.to_decimal() * Decimal::from(crate::DEPTH_LEVELS);
        // At 0 bps the band is the mid alone, which no level is at.
        assert_eq!(depth_within(&bids, &asks, Side::Ask, 0).unwrap(), Some(Decimal::ZERO));
        for bps in [1, 10_000, u32::MAX] {
            assert_eq!(depth_within(&bids, &asks, Side::Ask, bps).unwrap(), Some(all), "{bps}");
            assert_eq!(depth_within(&bids, &asks, Side::Bid, bps).unwrap(), Some(all), "{bps}");
        }
        assert_eq!(imbalance_of(&bids, &asks, usize::MAX).unwrap(), Some(Decimal::ZERO));
        assert!(matches!(fill(&asks, Decimal::MAX), Err(Error::Arithmetic(_))));
        // The most negative prices: the same, mirrored.
        let low = [(price(i64::MIN, 0), q)];
        assert_eq!(mid_of(&low, &low).unwrap(), Some(Decimal::from(i64::MIN)));
        assert!(matches!(fill(&low, Decimal::MAX), Err(Error::Arithmetic(_))));
    }

    /// The checked helpers themselves, beyond what a price or size can be.
    #[test]
    fn decimals_beyond_the_fixed_point_types_are_errors() {
        assert!(matches!(mid_of_prices(Decimal::MAX, Decimal::MAX), Err(Error::Arithmetic(_))));
        assert!(matches!(mid_of_prices(Decimal::MIN, Decimal::MIN), Err(Error::Arithmetic(_))));
        assert_eq!(mid_of_prices(Decimal::MAX, Decimal::MIN).unwrap(), Decimal::ZERO);
        assert!(matches!(
            checked(Decimal::ONE.checked_div(Decimal::ZERO), "x"),
            Err(Error::Arithmetic("x"))
        ));
    }

    /// The same extremes through the engine: a snapshot at the largest price and size the
    /// decoder takes, queried on the reader's view.
    #[test]
    fn extreme_books_from_the_engine() {
        // The decoder takes prices of up to 18 digits (19-digit ones are decode errors).
        let (max_price, below) = ("999999999999999999", "999999999999999998");
        let max_qty = Qty::MAX_MANTISSA.to_string();
        let view = okx_view(&[(max_price, &max_qty)], &[(below, &max_qty)]);
        assert!(view.is_live());
        assert_eq!(mid(&view).unwrap(), Some(d("999999999999999998.5")));
        assert!(matches!(cost_to_fill(&view, Side::Ask, Decimal::MAX), Err(Error::Arithmetic(_))));
        assert!(matches!(cost_to_fill(&view, Side::Bid, Decimal::MAX), Err(Error::Arithmetic(_))));
        assert_eq!(depth_within_bps(&view, Side::Bid, u32::MAX).unwrap(), Some(d(&max_qty)));
        assert_eq!(imbalance(&view, 20).unwrap(), Some(Decimal::ZERO));
        let tiny = "0.000000000000000001";
        let (p18, q18) = ("0.999999999999999999", "0.288230376151711743");
        let view = okx_view(&[(p18, q18)], &[(tiny, q18)]);
        assert!(view.is_live());
        let fill = cost_to_fill(&view, Side::Ask, Decimal::MAX).unwrap().unwrap();
        assert_eq!(fill.filled, d(q18));
        assert_eq!(fill.average_price.round_dp(18), d(p18));
        assert!(depth_within_bps(&view, Side::Ask, u32::MAX).unwrap().is_some());
    }
}
