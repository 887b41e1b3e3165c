//! The fast path's judge: the same frames through two decoders of a venue, one offering each
//! frame to the fast path first and one decoding everything with simd-json, each with its own
//! symbol table. On every frame both must return the same result (the same error, if any) and
//! the same output, and leave the same instruments registered: the fast path either declines
//! or decodes exactly as the general path does.

use depthbook_venues::{Decoded, Frame, SymbolTable, Venue, VenueDecoder};

/// Two decoders of one venue, fed the same frames (see the module docs).
#[derive(Debug)]
pub struct FastPathCheck {
    sides: [(VenueDecoder, SymbolTable, Decoded); 2],
    frames: u64,
}

impl FastPathCheck {
    /// A check of `venue` tracking every symbol (at most 4096).
    pub fn new(venue: Venue) -> Self {
        Self::with_symbols(venue, SymbolTable::new(4096))
    }

    /// A check of `venue` whose decoders start with `symbols` (an allow-list, say).
    pub fn with_symbols(venue: Venue, symbols: SymbolTable) -> Self {
        let side = |fast: bool| {
            let mut decoder = VenueDecoder::new(venue);
            decoder.set_fast_path(fast);
            (decoder, symbols.clone(), Decoded::default())
        };
        Self { sides: [side(true), side(false)], frames: 0 }
    }

    /// Decodes `frame` both ways; `Err` describes the first difference.
    pub fn frame(&mut self, frame: &Frame<'_>) -> Result<(), String> {
        self.frames += 1;
        let [fast, general] = &mut self.sides;
        let got = fast.0.decode(frame, &mut fast.1, &mut fast.2);
        let want = general.0.decode(frame, &mut general.1, &mut general.2);
        let (f, g) = (&fast.2, &general.2);
        let differences = [
            (got != want).then(|| format!("result {got:?}, simd-json {want:?}")),
            (f.kind != g.kind).then(|| format!("kind {:?}, simd-json {:?}", f.kind, g.kind)),
            (f.events != g.events)
                .then(|| format!("events {:?}, simd-json {:?}", f.events, g.events)),
            (f.levels != g.levels)
                .then(|| format!("levels {:?}, simd-json {:?}", f.levels, g.levels)),
            (f.failed_instrument != g.failed_instrument).then(|| {
                format!("failed {:?}, simd-json {:?}", f.failed_instrument, g.failed_instrument)
            }),
            (f.conn_seq != g.conn_seq)
                .then(|| format!("conn_seq {:?}, simd-json {:?}", f.conn_seq, g.conn_seq)),
            (!same_symbols(&fast.1, &general.1)).then(|| "registered instruments".to_owned()),
        ];
        match differences.into_iter().flatten().next() {
            None => Ok(()),
            Some(what) => Err(format!(
                "frame {} ({}): {what}",
                self.frames,
                String::from_utf8_lossy(&frame.bytes[..frame.bytes.len().min(200)])
            )),
        }
    }

    /// Frames the fast path decoded so far.
    pub fn fast_decoded(&self) -> u64 {
        self.sides[0].0.fast_decoded()
    }

    /// Frames checked so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }
}

fn same_symbols(a: &SymbolTable, b: &SymbolTable) -> bool {
    a.len() == b.len() && (0..a.len()).all(|id| a.name(id as u32) == b.name(id as u32))
}
