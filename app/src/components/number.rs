//! Numbers typed by the operator: parsing, and why a text is not one.

/// Why a typed text is not a number; the message is what the operator reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("enter a number")]
    Empty,
    /// The text as typed, trimmed.
    #[error("{0:?} is not a number")]
    NotANumber(String),
}

/// A finite number typed by the operator (surrounding spaces ignored), or why it is not one.
pub fn parse_number(text: &str) -> Result<f64, NumberError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(NumberError::Empty);
    }
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| NumberError::NotANumber(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_and_say_why_not() {
        assert_eq!(parse_number(" 3.5 "), Ok(3.5));
        assert_eq!(
            parse_number("  ").unwrap_err().to_string(),
            "enter a number"
        );
        assert_eq!(
            parse_number(" abc ").unwrap_err().to_string(),
            "\"abc\" is not a number"
        );
        assert!(parse_number("inf").is_err());
        assert!(parse_number("NaN").is_err());
    }
}
