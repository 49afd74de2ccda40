import { SearchTokenSpec, SearchTokenStore } from './table-definition';

export interface WordPrefixOptions {
  store: SearchTokenStore;
  /** Shortest prefix a query word may be; shorter words match nothing. */
  minPrefix: number;
  /** Longer words are indexed (and queried) by their first maxPrefix characters. */
  maxPrefix: number;
  /**
   * Words shorter than minPrefix are still found, as whole words ("BP", "IV"). Their tokens are shorter than any
   * prefix token, so a short word never matches the start of a longer one.
   */
  shortWordsWhole?: boolean;
}

/** Case- and accent-insensitive words: "Zoë O'Brien" → ["zoe", "o", "brien"]. */
export function normalizedWords(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);
}

/** Finds a value by the prefix of any of its words: every prefix from minPrefix to maxPrefix is a token. */
export function wordPrefixTokens(options: WordPrefixOptions): SearchTokenSpec {
  const { store, minPrefix, maxPrefix, shortWordsWhole = false } = options;
  return {
    store,
    tokensOf(value) {
      const tokens = new Set<string>();
      for (const word of normalizedWords(value)) {
        const characters = [...word];
        if (shortWordsWhole && characters.length < minPrefix) tokens.add(word);
        for (let length = minPrefix; length <= Math.min(characters.length, maxPrefix); length += 1) {
          tokens.add(characters.slice(0, length).join(''));
        }
      }
      return [...tokens];
    },
    termsOf(query) {
      const terms = normalizedWords(query)
        .map((word) => [...word].slice(0, maxPrefix).join(''))
        .filter((word) => shortWordsWhole || [...word].length >= minPrefix);
      return [...new Set(terms)];
    },
  };
}
