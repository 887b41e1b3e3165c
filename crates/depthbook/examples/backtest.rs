//! A backtest over a capture, with the same API a live strategy uses: every view and state
//! change, in order, on this thread. Prints each symbol's view count and mean and tightest
//! spread, in exact decimals (never floats), with checked arithmetic (never a panic).
//!
//! ```sh
//! cargo run -p depthbook --example backtest                      # the OKX capture in fixtures/
//! cargo run -p depthbook --example backtest -- okx BTC-USDT path/to/capture.txt
//! ```

use std::collections::BTreeMap;

use depthbook::Decimal;
use depthbook::{Feed, Status, Update, Venue};

/// Per instrument: views with both sides, the sum of their spreads (`None` once it no longer
/// fits a `Decimal`), the tightest spread.
type Stats = (u64, Option<Decimal>, Option<Decimal>);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (venue, symbols, captures) = match args.as_slice() {
        [venue, symbol, captures @ ..] if !captures.is_empty() => {
            let venue = Venue::from_name(venue).ok_or("unknown venue")?;
            (venue, vec![symbol.clone()], captures.to_vec())
        }
        _ => (
            Venue::Okx,
            vec!["BTC-USDT".to_owned(), "UNI-USD-SWAP".to_owned()],
            vec![
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt"
                )
                .to_owned(),
            ],
        ),
    };

    let mut stats: BTreeMap<u32, Stats> = BTreeMap::new();
    let counters =
        Feed::replay(venue, symbols.iter().cloned(), captures).run_here(|update| match update {
            Update::Book(top) => {
                if let (Some((bid, _)), Some((ask, _))) = (top.bid, top.ask)
                    && let Some(spread) = ask.checked_sub(bid)
                {
                    let spread = spread.to_decimal();
                    let entry =
                        stats.entry(top.instrument).or_insert((0, Some(Decimal::ZERO), None));
                    entry.0 += 1;
                    entry.1 = entry.1.and_then(|sum| sum.checked_add(spread));
                    entry.2 = Some(entry.2.map_or(spread, |s| s.min(spread)));
                }
            }
            Update::Status(event) => {
                let symbol = &symbols[event.instrument as usize];
                match event.status {
                    Status::Live => println!("{symbol}: Live, generation {}", event.generation),
                    Status::Stale(reason) => println!("{symbol}: Stale ({reason:?}): do not trade"),
                }
            }
        })?;
    for (id, (views, sum, tightest)) in stats {
        let mean = sum.and_then(|sum| sum.checked_div(Decimal::from(views)));
        let mean = mean.map_or("-".to_owned(), |m| m.round_dp(8).to_string());
        let tightest = tightest.map_or("-".to_owned(), |t| t.to_string());
        println!(
            "{}: {views} views, mean spread {mean}, tightest {tightest}",
            symbols[id as usize]
        );
    }
    println!(
        "frames {}, checksums verified {}, checksum failures {}, gaps {}",
        counters.frames, counters.checksums_verified, counters.checksum_failures, counters.gaps
    );
    Ok(())
}
