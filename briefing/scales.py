"""The standard scales of sourcing and analytic language, with their standard meanings.

- Source reliability and information credibility: the Admiralty (NATO STANAG 2511 / AJP-2.1)
  system, as in MISP's `admiralty-scale` taxonomy.
- Likelihood: ICD 203 (Analytic Standards), section D.6.e, with its alternative terms and ranges.
- Confidence: the low / moderate / high levels used in intelligence community products.
"""
from __future__ import annotations

RELIABILITY = {  # letter -> standard meaning
    "A": "Completely reliable",
    "B": "Usually reliable",
    "C": "Fairly reliable",
    "D": "Not usually reliable",
    "E": "Unreliable",
    "F": "Reliability cannot be judged",
}

CREDIBILITY = {  # digit -> standard meaning
    1: "Confirmed by other sources",
    2: "Probably true",
    3: "Possibly true",
    4: "Doubtful",
    5: "Improbable",
    6: "Truth cannot be judged",
}

# (term, alternative term, range in percent), from least to most likely
LIKELIHOOD = (
    ("almost no chance", "remote", "01–05%"),
    ("very unlikely", "highly improbable", "05–20%"),
    ("unlikely", "improbable", "20–45%"),
    ("roughly even chance", "roughly even odds", "45–55%"),
    ("likely", "probable", "55–80%"),
    ("very likely", "highly probable", "80–95%"),
    ("almost certain", "nearly certain", "95–99%"),
)

CONFIDENCE = ("low", "moderate", "high")

STRONG = ("very likely", "almost certain")  # judgments that need two or more independent groups


def likelihood_term(words: str) -> str | None:
    """The ICD 203 term for `words` (a term, its alternative, or `almost certainly`), lower-case; None if off the scale."""
    words = " ".join(words.lower().split())
    if words == "almost certainly":
        return "almost certain"
    for term, alternative, _ in LIKELIHOOD:
        if words in (term, alternative):
            return term
    return None


def likelihood_rank(term: str) -> int:
    """0 (almost no chance) to 6 (almost certain), for a term `likelihood_term` returned; ValueError for any other."""
    return [t for t, _, _ in LIKELIHOOD].index(term)
