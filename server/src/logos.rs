//! Checking an uploaded app logo. The type is read from the bytes, never
//! taken from the name or the declared content type, and only raster
//! formats browsers show as images are accepted: an SVG (or anything else)
//! could carry script when opened from our origin.

/// The most bytes a logo may have.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;
/// The largest side in pixels (tiles show 48 px; a large one is plenty).
pub const MAX_LOGO_SIDE: usize = 1024;
/// The smallest side in pixels.
pub const MIN_LOGO_SIDE: usize = 16;

/// A logo that passed the checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedLogo {
    pub content_type: &'static str,
    /// SHA-256 of the bytes, hex.
    pub digest: String,
}

/// Why a logo was refused: a code of the `logo` field (its sentence is
/// `app::domain::fields::field_message("logo", code)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogoProblem {
    pub code: &'static str,
}

fn problem(code: &'static str) -> LogoProblem {
    LogoProblem { code }
}

/// Checks a logo's bytes: size, type (PNG, JPEG, GIF or WebP, recognised
/// from the bytes) and dimensions.
pub fn check_logo(bytes: &[u8]) -> Result<CheckedLogo, LogoProblem> {
    if bytes.is_empty() {
        return Err(problem("missing"));
    }
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(problem("too_large"));
    }
    let content_type = match imagesize::image_type(bytes) {
        Ok(imagesize::ImageType::Png) => "image/png",
        Ok(imagesize::ImageType::Jpeg) => "image/jpeg",
        Ok(imagesize::ImageType::Gif) => "image/gif",
        Ok(imagesize::ImageType::Webp) => "image/webp",
        _ => return Err(problem("unsupported_type")),
    };
    let size = imagesize::blob_size(bytes).map_err(|_| problem("unreadable"))?;
    if size.width > MAX_LOGO_SIDE || size.height > MAX_LOGO_SIDE {
        return Err(problem("too_big"));
    }
    if size.width < MIN_LOGO_SIDE || size.height < MIN_LOGO_SIDE {
        return Err(problem("too_small"));
    }
    Ok(CheckedLogo { content_type, digest: crate::security::bytes_digest(bytes) })
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A valid PNG of `w`×`h` pixels (header and IHDR are what is read).
    pub fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    #[test]
    fn raster_images_of_sensible_size_pass() {
        let logo = check_logo(&png(64, 64)).unwrap();
        for code in ["missing", "too_large", "unsupported_type", "unreadable", "too_big", "too_small"] {
            assert!(app::domain::fields::field_message("logo", code).is_some(), "{code} has a sentence");
        }
        assert_eq!(logo.content_type, "image/png");
        assert_eq!(logo.digest.len(), 64);
    }

    #[test]
    fn svg_and_other_types_are_refused_whatever_they_claim() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        assert_eq!(check_logo(svg).unwrap_err().code, "unsupported_type");
        assert_eq!(check_logo(b"<html><script>").unwrap_err().code, "unsupported_type");
        assert_eq!(check_logo(b"").unwrap_err().code, "missing");
    }

    #[test]
    fn size_and_dimensions_are_bounded() {
        let mut big = png(64, 64);
        big.resize(MAX_LOGO_BYTES + 1, 0);
        assert_eq!(check_logo(&big).unwrap_err().code, "too_large");
        assert_eq!(check_logo(&png(4096, 64)).unwrap_err().code, "too_big");
        assert_eq!(check_logo(&png(8, 8)).unwrap_err().code, "too_small");
    }
}
