//! Number formatting for everything people read: the HTML report and sweep
//! index, the terminal summaries, the CSV files and the dataset READMEs.
//!
//! One place so that a figure reads the same wherever it appears: digits are
//! grouped in threes with commas (`1,234,567`), a missing value is a dash,
//! money is shown in millions or billions of tenge, distances to 0.1 km and
//! shares to 0.1 %. Machine-read CSV columns use [`decimal`] instead, which
//! never groups digits.

/// The digits of a whole number grouped in threes with commas.
fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A value rounded to a whole number, digits grouped: `1234567.4` →
/// `1,234,567`, `-1000` → `−1,000`; not finite → `—`.
pub fn thousands(value: f64) -> String {
    if !value.is_finite() {
        return "—".to_string();
    }
    let neg = value < 0.0;
    let digits = format!("{:.0}", value.abs());
    let out = group(&digits);
    if neg && digits != "0" { format!("−{out}") } else { out }
}

/// A count, digits grouped: `7687` → `7,687`.
pub fn count(n: u64) -> String {
    group(&n.to_string())
}

/// Tenge in a planner's unit: `5313000000` → `5.31 bn`, `250000000` → `250 m`,
/// smaller amounts whole with grouped digits.
pub fn kzt(value: f64) -> String {
    let a = value.abs();
    if a >= 1e9 {
        format!("{:.2} bn", value / 1e9)
    } else if a >= 1e6 {
        format!("{:.0} m", value / 1e6)
    } else {
        thousands(value)
    }
}

/// Millions of tenge to one decimal, for table columns headed "M KZT":
/// `5313000000` → `5313.0`.
pub fn mkzt(value: f64) -> String {
    format!("{:.1}", value / 1e6)
}

/// Kilometres to one decimal.
pub fn km(value: f64) -> String {
    format!("{value:.1}")
}

/// Kilometres to one decimal, or `–` when there is no distance (no link).
pub fn km_or_dash(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), km)
}

/// A percentage to one decimal: `72.54` → `72.5%`.
pub fn percent(value: f64) -> String {
    format!("{value:.1}%")
}

/// `part` as a share of `whole` ([`percent`]), or `–` when `whole` is not positive.
pub fn share(part: f64, whole: f64) -> String {
    if whole > 0.0 { percent(100.0 * part / whole) } else { "–".to_string() }
}

/// A number for CSV files and comparisons: rounded to `places` decimals,
/// written without trailing zeros (whole values without a decimal point),
/// never grouped: `decimal(1234.5000001, 6)` → `1234.5`.
pub fn decimal(value: f64, places: i32) -> String {
    let scale = 10f64.powi(places);
    let r = (value * scale).round() / scale;
    if r == r.trunc() && r.abs() < 1e15 { format!("{}", r as i64) } else { format!("{r}") }
}

/// [`decimal`] of an optional value; empty when absent.
pub fn opt_decimal(value: Option<f64>, places: i32) -> String {
    value.map(|v| decimal(v, places)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_digits_with_commas() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(-1000.0), "−1,000");
        assert_eq!(thousands(f64::NAN), "—");
        assert_eq!(count(7687), "7,687");
        assert_eq!(count(100), "100");
        assert_eq!(count(1_019_309), "1,019,309");
    }

    #[test]
    fn formats_money_distances_and_shares() {
        assert_eq!(kzt(5_313_000_000.0), "5.31 bn");
        assert_eq!(kzt(250_000_000.0), "250 m");
        assert_eq!(kzt(12_500.0), "12,500");
        assert_eq!(mkzt(5_313_000_000.0), "5313.0");
        assert_eq!(km(12.345), "12.3");
        assert_eq!(km_or_dash(None), "–");
        assert_eq!(percent(72.54), "72.5%");
        assert_eq!(share(1.0, 4.0), "25.0%");
        assert_eq!(share(1.0, 0.0), "–");
    }

    #[test]
    fn decimals_drop_trailing_zeros() {
        assert_eq!(decimal(5.0, 6), "5");
        assert_eq!(decimal(1234.5000001, 6), "1234.5");
        assert_eq!(decimal(0.12345, 3), "0.123");
        assert_eq!(decimal(-2.5, 3), "-2.5");
        assert_eq!(opt_decimal(None, 6), "");
        assert_eq!(opt_decimal(Some(1.25), 6), "1.25");
    }
}
