//! Bodies compressed once and served many times: rendered pages and the stylesheet. A body made
//! for every response is left to the compression layer, which works at its fastest level as
//! it serves; a body kept in memory is worth compressing once, and well.
//!
//! Pages are kept in gzip only. A page is compressed again whenever it is rendered (once a
//! second while forms carry a token), and the brotli encoder takes some 16 MB of tables each
//! time it starts, against a few hundred kilobytes for gzip; for a page of a few kilobytes
//! brotli would save a few hundred bytes. The stylesheet and the script, compressed once for
//! the life of the process, are kept in brotli too.

use std::{convert::Infallible, io::Write, sync::OnceLock};

use axum::{
    body::Bytes,
    extract::FromRequestParts,
    http::{HeaderMap, HeaderValue, header, request::Parts},
};

/// A coding a response can be sent in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    /// Its `Content-Encoding`, when it is one.
    pub fn header(self) -> Option<HeaderValue> {
        match self {
            Self::Identity => None,
            Self::Gzip => Some(HeaderValue::from_static("gzip")),
            Self::Brotli => Some(HeaderValue::from_static("br")),
        }
    }
}

/// The codings a client reads, by the weights of its `Accept-Encoding` (0: refused). A coding
/// not named has the weight of `*`, if that is there.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Accepts {
    brotli: f32,
    gzip: f32,
}

impl Accepts {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let (mut br, mut gzip, mut any) = (None, None, None);
        for value in headers.get_all(header::ACCEPT_ENCODING) {
            let Ok(value) = value.to_str() else { continue };
            for item in value.split(',') {
                let mut parts = item.split(';');
                let coding = parts.next().unwrap_or_default().trim();
                // An entry whose weight is not one is left out, as if not sent.
                let weight = match parts.map(str::trim).find(|p| p.starts_with(['q', 'Q'])) {
                    None => 1.0,
                    Some(p) => match p.get(2..).filter(|_| p[1..].starts_with('=')).and_then(qvalue) {
                        Some(w) => w,
                        None => continue,
                    },
                };
                if coding.eq_ignore_ascii_case("br") {
                    br = Some(weight);
                } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                    gzip = Some(weight);
                } else if coding == "*" {
                    any = Some(weight);
                }
            }
        }
        Self { brotli: br.or(any).unwrap_or(0.0), gzip: gzip.or(any).unwrap_or(0.0) }
    }

    /// The coding of `offered` (best first) the client weighs highest, the first offered on a
    /// tie; none if it reads none of them.
    pub fn best(self, offered: &[Encoding]) -> Encoding {
        let mut best = (Encoding::Identity, 0.0);
        for &coding in offered {
            let weight = match coding {
                Encoding::Identity => 0.0,
                Encoding::Gzip => self.gzip,
                Encoding::Brotli => self.brotli,
            };
            if weight > best.1 {
                best = (coding, weight);
            }
        }
        best.0
    }
}

/// A weight as HTTP writes it (`0`, `0.5`, `1.000`: at most three decimals, at most 1).
fn qvalue(v: &str) -> Option<f32> {
    let (whole, decimals) = v.split_once('.').unwrap_or((v, ""));
    let valid = matches!(whole, "0" | "1")
        && decimals.len() <= 3
        && decimals.bytes().all(|b| b.is_ascii_digit())
        && (whole == "0" || decimals.bytes().all(|b| b == b'0'));
    valid.then(|| v.parse().ok()).flatten()
}

impl<S: Send + Sync> FromRequestParts<S> for Accepts {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_headers(&parts.headers))
    }
}

/// What a body kept in memory is: a page (rendered again and again) or a file of the binary
/// (compressed once, as small as it gets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    Page,
    File,
}

impl Kept {
    /// The codings it is kept in, best first.
    fn offered(self) -> &'static [Encoding] {
        match self {
            Self::Page => &[Encoding::Gzip],
            Self::File => &[Encoding::Brotli, Encoding::Gzip],
        }
    }
}

/// A body and, made the first time each is asked for, the same body compressed.
#[derive(Debug)]
pub struct Body {
    identity: Bytes,
    kind: Kept,
    brotli: OnceLock<Option<Bytes>>,
    gzip: OnceLock<Option<Bytes>>,
}

impl Body {
    pub fn new(identity: Bytes, kind: Kept) -> Self {
        Self { identity, kind, brotli: OnceLock::new(), gzip: OnceLock::new() }
    }

    /// The body as it is.
    pub fn identity(&self) -> &Bytes {
        &self.identity
    }

    /// The body in the best coding it is kept in that the client reads, or as it is (the
    /// compression layer may then compress it as it goes out).
    pub fn encoded(&self, accepts: Accepts) -> (Bytes, Encoding) {
        let coding = accepts.best(self.kind.offered());
        let made = match coding {
            Encoding::Identity => None,
            Encoding::Brotli => self.brotli.get_or_init(|| brotli(&self.identity)).as_ref(),
            Encoding::Gzip => self.gzip.get_or_init(|| gzip(&self.identity)).as_ref(),
        };
        match made {
            Some(body) => (body.clone(), coding),
            None => (self.identity.clone(), Encoding::Identity),
        }
    }
}

fn brotli(data: &[u8]) -> Option<Bytes> {
    // A stylesheet of a few kilobytes needs no larger window than 64 KiB.
    let mut w = brotli::CompressorWriter::new(Vec::with_capacity(data.len() / 3), 4096, 11, 16);
    w.write_all(data).ok()?;
    // Taking the output ends the stream.
    Some(Bytes::from(w.into_inner()))
}

fn gzip(data: &[u8]) -> Option<Bytes> {
    let mut w =
        flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 3), flate2::Compression::best());
    w.write_all(data).ok()?;
    w.finish().ok().map(Bytes::from)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn accepting(value: &str) -> Accepts {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).expect("a header value"));
        Accepts::from_headers(&headers)
    }

    const BOTH: &[Encoding] = &[Encoding::Brotli, Encoding::Gzip];

    #[test]
    fn the_coding_follows_the_clients_weights() {
        assert_eq!(Accepts::from_headers(&HeaderMap::new()).best(BOTH), Encoding::Identity);
        assert_eq!(accepting("gzip, deflate, br, zstd").best(BOTH), Encoding::Brotli);
        assert_eq!(accepting("gzip, deflate, br, zstd").best(&[Encoding::Gzip]), Encoding::Gzip);
        assert_eq!(accepting("br").best(&[Encoding::Gzip]), Encoding::Identity);
        assert_eq!(accepting("gzip, deflate").best(BOTH), Encoding::Gzip);
        assert_eq!(accepting("GZIP").best(BOTH), Encoding::Gzip);
        assert_eq!(accepting("br;q=0.5, gzip").best(BOTH), Encoding::Gzip);
        assert_eq!(accepting("br;q=0, gzip;q=0").best(BOTH), Encoding::Identity);
        assert_eq!(accepting("br; q=0.000, gzip;q=0.1").best(BOTH), Encoding::Gzip);
        assert_eq!(accepting("br;Q=1.0").best(BOTH), Encoding::Brotli);
        assert_eq!(accepting("*").best(BOTH), Encoding::Brotli);
        assert_eq!(accepting("*;q=0.2, br;q=0").best(BOTH), Encoding::Gzip);
        assert_eq!(accepting("identity").best(BOTH), Encoding::Identity);
        assert_eq!(accepting("deflate, zstd").best(BOTH), Encoding::Identity);
        // An entry with a weight that is not one is left out.
        assert_eq!(accepting("br;q=7").best(BOTH), Encoding::Identity);
        assert_eq!(accepting("gzip;q=0.0001, br;q=1.5").best(BOTH), Encoding::Identity);
        assert_eq!(accepting("br;q=0.5.1, gzip;q=0.2").best(BOTH), Encoding::Gzip);
        assert_eq!(accepting("br;q=NaN, gzip;q= 0.5").best(BOTH), Encoding::Identity);
    }

    #[test]
    fn a_kept_body_decodes_to_itself_in_each_coding() {
        let html = "<!doctype html><p>Firmé la petición — ¡gracias!</p>".repeat(200);
        let chrome = accepting("gzip, deflate, br, zstd");
        for (kind, coding) in [(Kept::Page, Encoding::Gzip), (Kept::File, Encoding::Brotli)] {
            let body = Body::new(Bytes::from(html.clone()), kind);
            let plain = (Bytes::from(html.clone()), Encoding::Identity);
            assert_eq!(body.encoded(accepting("identity")), plain);

            let (bytes, chosen) = body.encoded(chrome);
            assert_eq!(chosen, coding, "{kind:?}");
            assert!(bytes.len() < html.len() / 10, "{} of {}", bytes.len(), html.len());
            let mut out = String::new();
            match coding {
                Encoding::Brotli => brotli::Decompressor::new(&bytes[..], 4096).read_to_string(&mut out),
                _ => flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut out),
            }
            .expect("decodes");
            assert_eq!(out, html);
            // Made once, then shared.
            assert_eq!(body.encoded(chrome).0.as_ptr(), bytes.as_ptr());

            let (gz, chosen) = body.encoded(accepting("gzip"));
            assert_eq!(chosen, Encoding::Gzip);
            let mut out = String::new();
            flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut out).expect("gzip");
            assert_eq!(out, html);
        }
    }
}
