//! A small `multipart/form-data` reader and writer (RFC 7578), enough for Worker
//! uploads and downloads: named parts, optional filename, optional content type.

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The `name` from `Content-Disposition`.
    pub name: String,
    /// The `filename` from `Content-Disposition`, if given.
    pub filename: Option<String>,
    /// The part's `Content-Type` essence, lowercased (`None` when absent).
    pub content_type: Option<String>,
    /// The part's bytes.
    pub body: Vec<u8>,
}

/// Why a body is not well-formed multipart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    /// The `Content-Type` header has no `boundary` parameter.
    #[error("the Content-Type has no multipart boundary")]
    MissingBoundary,
    /// The body does not start with the boundary delimiter.
    #[error("the body does not start with the boundary `--{0}`")]
    NoOpeningBoundary(String),
    /// A part or the body ends before its closing delimiter.
    #[error("the body ends before the closing boundary")]
    Unterminated,
    /// A part has no `Content-Disposition: form-data; name=...` header.
    #[error("part {0} has no Content-Disposition name")]
    MissingName(usize),
}

/// The boundary of a `multipart/form-data` content type, or `None` for other types.
pub fn form_data_boundary(content_type: &str) -> Option<Result<String, MultipartError>> {
    let mut params = content_type.split(';');
    let essence = params.next()?.trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let boundary = params.find_map(|p| {
        let (key, value) = p.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
    });
    Some(
        boundary
            .filter(|b| !b.is_empty())
            .ok_or(MultipartError::MissingBoundary),
    )
}

/// Split `body` into its parts.
pub fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, MultipartError> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut rest = match find(body, &delimiter) {
        // Anything before the first delimiter is preamble and is ignored.
        Some(start) => &body[start + delimiter.len()..],
        None => return Err(MultipartError::NoOpeningBoundary(boundary.to_owned())),
    };
    let next_delimiter = [b"\r\n".as_slice(), &delimiter].concat();
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = strip_line_end(rest).ok_or(MultipartError::Unterminated)?;
        let header_end = find(rest, b"\r\n\r\n").ok_or(MultipartError::Unterminated)?;
        let headers = String::from_utf8_lossy(&rest[..header_end]).into_owned();
        rest = &rest[header_end + 4..];
        let body_end = find(rest, &next_delimiter).ok_or(MultipartError::Unterminated)?;
        let part_body = rest[..body_end].to_vec();
        rest = &rest[body_end + next_delimiter.len()..];

        let mut name = None;
        let mut filename = None;
        let mut content_type = None;
        for line in headers.split("\r\n") {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim();
            if key.eq_ignore_ascii_case("content-disposition") {
                name = disposition_param(value, "name");
                filename = disposition_param(value, "filename");
            } else if key.eq_ignore_ascii_case("content-type") {
                let essence = value.split(';').next().unwrap_or("").trim();
                content_type = Some(essence.to_ascii_lowercase());
            }
        }
        let name = name.ok_or(MultipartError::MissingName(parts.len() + 1))?;
        parts.push(Part {
            name,
            filename,
            content_type,
            body: part_body,
        });
    }
}

/// Encode `parts` as a `multipart/form-data` body with `boundary`.
pub fn encode(parts: &[Part], boundary: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", part.name);
        if let Some(filename) = &part.filename {
            disposition.push_str(&format!("; filename=\"{filename}\""));
        }
        out.extend_from_slice(disposition.as_bytes());
        out.extend_from_slice(b"\r\n");
        if let Some(content_type) = &part.content_type {
            out.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&part.body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

/// Skip the line end after a delimiter (tolerating trailing whitespace).
fn strip_line_end(rest: &[u8]) -> Option<&[u8]> {
    let trimmed = {
        let spaces = rest
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        &rest[spaces..]
    };
    trimmed.strip_prefix(b"\r\n")
}

/// A parameter of a `Content-Disposition` value, quoted or not.
fn disposition_param(value: &str, key: &str) -> Option<String> {
    let mut rest = value;
    while let Some(semi) = rest.find(';') {
        rest = rest[semi + 1..].trim_start();
        let (k, v) = rest.split_once('=')?;
        let v = v.trim_start();
        let (parsed, consumed) = if let Some(quoted) = v.strip_prefix('"') {
            let end = quoted.find('"')?;
            (quoted[..end].to_owned(), 1 + end + 1)
        } else {
            let end = v.find(';').unwrap_or(v.len());
            (v[..end].trim().to_owned(), end)
        };
        if k.trim().eq_ignore_ascii_case(key) {
            return Some(parsed);
        }
        rest = &v[consumed..];
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(name: &str, filename: Option<&str>, content_type: Option<&str>, body: &str) -> Part {
        Part {
            name: name.to_owned(),
            filename: filename.map(str::to_owned),
            content_type: content_type.map(str::to_owned),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn encoded_parts_parse_back() {
        let parts = vec![
            part(
                "metadata",
                None,
                Some("application/json"),
                r#"{"main_module":"index.js"}"#,
            ),
            part(
                "index.js",
                Some("index.js"),
                Some("application/javascript+module"),
                "export default {};\r\n// trailing line\r\n",
            ),
            part("empty", None, None, ""),
        ];
        let body = encode(&parts, "XyZ");
        assert_eq!(parse(&body, "XyZ").unwrap(), parts);
    }

    #[test]
    fn boundaries_come_from_the_content_type() {
        let cases = [
            (
                "multipart/form-data; boundary=abc",
                Some(Ok("abc".to_owned())),
            ),
            (
                "Multipart/Form-Data; charset=utf-8; boundary=\"a b\"",
                Some(Ok("a b".to_owned())),
            ),
            (
                "multipart/form-data",
                Some(Err(MultipartError::MissingBoundary)),
            ),
            ("application/javascript", None),
        ];
        for (content_type, want) in cases {
            assert_eq!(form_data_boundary(content_type), want, "{content_type}");
        }
    }

    #[test]
    fn headers_are_read_case_insensitively_with_parameters() {
        let body = b"preamble\r\n--b\r\ncontent-disposition: form-data; name=\"worker.js\"; filename=\"worker.js\"\r\nCONTENT-TYPE: Application/JavaScript+Module; charset=utf-8\r\n\r\nexport default {}\r\n--b--";
        let parts = parse(body, "b").unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].name, "worker.js");
        assert_eq!(parts[0].filename.as_deref(), Some("worker.js"));
        assert_eq!(
            parts[0].content_type.as_deref(),
            Some("application/javascript+module")
        );
        assert_eq!(parts[0].body, b"export default {}");
    }

    #[test]
    fn malformed_bodies_are_refused() {
        let cases: [(&[u8], MultipartError); 3] = [
            (
                b"no boundary here",
                MultipartError::NoOpeningBoundary("b".to_owned()),
            ),
            (
                b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nnever closed",
                MultipartError::Unterminated,
            ),
            (
                b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--",
                MultipartError::MissingName(1),
            ),
        ];
        for (body, want) in cases {
            assert_eq!(parse(body, "b").unwrap_err(), want);
        }
    }
}
