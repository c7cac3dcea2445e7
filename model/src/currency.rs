//! ISO 4217: which currency codes exist and how many decimals their minor unit has.
//!
//! The table lists the active codes of ISO 4217 (amendments to 2025); funds and metals
//! with no minor unit (XAU, XDR…) are left out, since no basket is priced in them.

/// Codes whose minor unit has 0 decimals.
const ZERO: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
];

/// Codes whose minor unit has 3 decimals.
const THREE: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

/// Codes whose minor unit has 4 decimals.
const FOUR: &[&str] = &["CLF", "UYW"];

/// Codes whose minor unit has 2 decimals.
const TWO: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN",
    "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE",
    "CHF", "CHW", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP",
    "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD",
    "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD",
    "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP",
    "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR",
    "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD",
    "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL",
    "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "USN", "UYU", "UZS",
    "VED", "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG",
];

/// The number of decimals of `code`'s minor unit, or `None` for a code ISO 4217 does not
/// list as an active currency.
pub fn minor_unit(code: &str) -> Option<u32> {
    [(ZERO, 0), (TWO, 2), (THREE, 3), (FOUR, 4)]
        .iter()
        .find(|(codes, _)| codes.contains(&code))
        .map(|(_, decimals)| *decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_follow_iso_4217() {
        assert_eq!(minor_unit("EUR"), Some(2));
        assert_eq!(minor_unit("USD"), Some(2));
        assert_eq!(minor_unit("JPY"), Some(0));
        assert_eq!(minor_unit("KRW"), Some(0));
        assert_eq!(minor_unit("KWD"), Some(3));
        assert_eq!(minor_unit("CLF"), Some(4));
    }

    #[test]
    fn unknown_codes_are_refused() {
        assert_eq!(minor_unit("EUX"), None);
        assert_eq!(minor_unit("eur"), None);
        assert_eq!(minor_unit(""), None);
    }

    #[test]
    fn no_code_is_listed_twice() {
        let all: Vec<&str> = [ZERO, TWO, THREE, FOUR].concat();
        let mut sorted = all.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len());
    }
}
