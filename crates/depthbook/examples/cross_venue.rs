//! Mid and spread from live books of two venues, and the spread between them (the symbols must
//! name the same instrument: their normalized spellings are compared): the strategy
//! reads each venue's latest top without ever waiting for the ingest loops, and trades only when
//! both books are Live.
//!
//! ```sh
//! cargo run -p depthbook --example cross_venue                  # Binance BTCUSDT vs OKX BTC-USDT
//! cargo run -p depthbook --example cross_venue -- binance-spot ETHUSDT okx ETH-USDT
//! # against two loopback exchanges (`depthbook serve`) instead of the venues:
//! cargo run -p depthbook --example cross_venue -- binance-spot BTCUSDT okx BTC-USDT 127.0.0.1:9001 127.0.0.1:9002
//! ```

use std::time::Duration;

use depthbook::Decimal;
use depthbook::{Feed, LatestTop, Venue};

/// The mid of a Live book with both sides; checked arithmetic: `None` rather than a panic if
/// it did not fit a `Decimal`.
fn mid(latest: &LatestTop) -> Option<Decimal> {
    let top = latest.top.filter(|_| latest.is_live())?;
    let (bid, ask) = (top.bid?.0.to_decimal(), top.ask?.0.to_decimal());
    bid.checked_add(ask)?.checked_div(Decimal::TWO)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (pairs, loopback) = match args.as_slice() {
        [v1, s1, v2, s2, rest @ ..] => {
            ([(v1.clone(), s1.clone()), (v2.clone(), s2.clone())], rest.to_vec())
        }
        _ => (
            [
                ("binance-spot".to_owned(), "BTCUSDT".to_owned()),
                ("okx".to_owned(), "BTC-USDT".to_owned()),
            ],
            Vec::new(),
        ),
    };
    // The same instrument on both venues, by its normalized symbol.
    let names: Vec<Option<String>> = pairs
        .iter()
        .map(|(v, s)| Venue::from_name(v).and_then(|v| depthbook::symbols::normalized(v, s)))
        .collect();
    if names[0].is_none() || names[0] != names[1] {
        return Err(format!("not the same instrument: {names:?}").into());
    }
    println!("{}", names[0].as_deref().unwrap_or_default());
    let mut feeds = Vec::new();
    for (i, (venue, symbol)) in pairs.iter().enumerate() {
        let venue = Venue::from_name(venue).ok_or("unknown venue")?;
        let mut feed = Feed::live(venue, [symbol.clone()]);
        if let Some(addr) = loopback.get(i) {
            feed = feed.endpoints(format!("ws://{addr}/ws"), Some(format!("http://{addr}")));
        }
        feeds.push((feed.start()?, symbol.clone()));
    }
    let readers: Vec<_> = feeds
        .iter()
        .map(|(books, s)| books.top(s).cloned().ok_or("not tracked"))
        .collect::<Result<_, _>>()?;
    loop {
        let latest: Vec<LatestTop> = readers.iter().map(|r| r.read()).collect();
        let mids: Vec<Option<Decimal>> = latest.iter().map(mid).collect();
        for ((venue, symbol), (l, m)) in pairs.iter().zip(latest.iter().zip(&mids)) {
            match (m, l.top) {
                (Some(m), Some(top)) => {
                    let spread = top.ask.zip(top.bid).and_then(|(a, b)| a.0.checked_sub(b.0));
                    let spread = spread.map(|s| s.to_decimal());
                    print!("{venue} {symbol}: mid {m} spread {} | ", spread.unwrap_or_default());
                }
                _ => print!("{venue} {symbol}: {:?} (do not trade) | ", l.state),
            }
        }
        match mids[0].zip(mids[1]).and_then(|(a, b)| a.checked_sub(b)) {
            Some(difference) => println!("cross-venue {}", difference.round_dp(8)),
            None => println!("cross-venue -"),
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}
