//! Site ids: the user-visible slugs (`system`, `array1`, `battery_array1`) and the ids derived
//! for generated children (`battery1_b0`, `battery1_b0_c15`, `powdrive1_adapter`).

/// The longest id accepted (ids appear in URLs, file names and register-map keys).
pub const MAX_ID_LEN: usize = 64;

/// Checks a slug: 1 to 64 characters, ASCII letters, digits, `_` and `-`, starting with a letter
/// or a digit. Returns what is wrong, in words an operator can act on.
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("an id may not be empty".into());
    }
    if id.len() > MAX_ID_LEN {
        return Err(format!(
            "an id is at most {MAX_ID_LEN} characters (this one has {})",
            id.len()
        ));
    }
    let first = id.chars().next().unwrap_or('_');
    if !first.is_ascii_alphanumeric() {
        return Err(format!(
            "an id starts with a letter or a digit, not {first:?}"
        ));
    }
    if let Some(bad) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(format!(
            "an id holds only letters, digits, '_' and '-' ({bad:?} is not allowed)"
        ));
    }
    Ok(())
}

/// The id of battery `index` (0-based) of a pack: `battery1_b0`.
pub fn battery_id(pack_id: &str, index: u32) -> String {
    format!("{pack_id}_b{index}")
}

/// The id of cell `index` (0-based) of a battery: `battery1_b0_c15`.
pub fn cell_id(battery_id: &str, index: u32) -> String {
    format!("{battery_id}_c{index}")
}

/// The id of a device's adapter when the file does not name one: `powdrive1_adapter` for the
/// only (or first) adapter, `battery1_adapter_2` for the second of a pack's list.
pub fn adapter_id(device_id: &str, position: usize) -> String {
    if position == 0 {
        format!("{device_id}_adapter")
    } else {
        format!("{device_id}_adapter_{}", position + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_checked() {
        assert!(check_id("battery_array1").is_ok());
        assert!(check_id("grid-meter-1").is_ok());
        assert!(check_id("").is_err());
        assert!(check_id("_x").is_err());
        assert!(check_id("a b").unwrap_err().contains("' '"));
        assert!(check_id(&"a".repeat(65)).is_err());
    }

    #[test]
    fn derived_ids_follow_the_seed() {
        assert_eq!(battery_id("battery1", 0), "battery1_b0");
        assert_eq!(cell_id(&battery_id("battery1", 0), 15), "battery1_b0_c15");
        assert_eq!(adapter_id("powdrive1", 0), "powdrive1_adapter");
        assert_eq!(adapter_id("battery1", 1), "battery1_adapter_2");
    }
}
