//! Settlement-name normalisation, so that the official classifier (KATO, in
//! Russian) can be joined to OpenStreetMap names (Kazakh, Russian or both).
//!
//! The rule, applied to both sides before comparing:
//! 1. lower-case;
//! 2. Kazakh letters to their nearest Russian letter (ә→а, ғ→г, қ→к, ң→н,
//!    ө→о, ұ→у, ү→у, һ→х, і→и), ё→е and й→и (spelling varies between sources);
//! 3. drop a leading KATO type prefix (`г.` city, `с.` village, `п.`/`пос.`
//!    settlement, `ст.` station, `рзд.` siding) and the generic words
//!    село, аул, ауыл, ауылы, поселок, станция, разъезд;
//! 4. keep only letters and digits (spaces, hyphens, dots and quotes go).
//!
//! Two names match when their normalised forms are equal. Matching is done
//! within one district (see [`super::settlements`]), where equal names are rare.

/// Generic words that are not part of a settlement's own name.
const GENERIC_WORDS: &[&str] = &["село", "аул", "ауыл", "ауылы", "поселок", "станция", "разъезд"];

/// KATO type prefixes, longest first so that `пос.` wins over `п.`.
const PREFIXES: &[&str] = &["рзд.", "рзд ", "пос.", "ст.", "г.", "с.", "п."];

fn fold_char(c: char) -> char {
    match c {
        'ә' => 'а',
        'ғ' => 'г',
        'қ' => 'к',
        'ң' => 'н',
        'ө' => 'о',
        'ұ' | 'ү' => 'у',
        'һ' => 'х',
        'і' => 'и',
        'ё' => 'е',
        'й' => 'и',
        other => other,
    }
}

/// The normalised form of a settlement name (see the module docs for the rule).
///
/// ```
/// use hubplan::dataset::names::normalise;
/// assert_eq!(normalise("с.Кобда"), normalise("Қобда"));
/// assert_eq!(normalise("г.Алга"), "алга");
/// assert_eq!(normalise("Темірбек Жүргенов ауылы"), "темирбекжургенов");
/// ```
pub fn normalise(name: &str) -> String {
    let lower: String = name.trim().to_lowercase().chars().map(fold_char).collect();
    let mut rest = lower.as_str();
    for p in PREFIXES {
        if let Some(r) = rest.strip_prefix(p) {
            rest = r;
            break;
        }
    }
    let mut out = String::with_capacity(rest.len());
    for word in rest.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() || GENERIC_WORDS.contains(&word) {
            continue;
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kazakh_and_russian_spellings_meet() {
        assert_eq!(normalise("Қобда"), normalise("с.Кобда"));
        assert_eq!(normalise("Шубаркудук"), normalise("с.Шубаркудук"));
        assert_eq!(normalise("Қарауылкелді"), normalise("с.Карауылкелди"));
        assert_eq!(normalise("Ырғыз"), "ыргыз");
        assert_eq!(normalise("ст.Эмба"), "эмба");
        assert_eq!(normalise("рзд.42"), "42");
        assert_eq!(normalise("пос. Жем"), "жем");
    }

    #[test]
    fn generic_words_and_punctuation_are_dropped() {
        assert_eq!(normalise("Село Темирбека Жургенова"), "темирбекажургенова");
        assert_eq!(normalise("Кеңес Нокин ауылы"), "кенеснокин");
        assert_eq!(normalise("Ак-Жар"), normalise("Акжар"));
        assert_eq!(normalise(""), "");
    }
}
