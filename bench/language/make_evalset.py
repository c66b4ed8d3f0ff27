#!/usr/bin/env python3
"""make_evalset.py - the language detector's evaluation set, built from
the word lists and spelling dictionaries Debian installs, at run time
(nothing of them is kept in the tree).

Prints one record a line, "CLASS<TAB>TEXT" with "\\n" for line breaks:
CLASS is the language's BCP 47 tag for language text, or "junk:KIND" for
text that is no language (the enricher should answer "und" with a
reason). Language text is a headline of 6-12 words and a body of 40-80
words in sentences of 5-16, drawn from the language's word list with
short words preferred (weight 1/length^3: short words are the frequent
ones, as in real text, where the dictionary's long tail would otherwise
dominate); words of scripts without spaces (Thai) are joined within a
sentence. Junk kinds: random letter strings shaped like words, base64,
source code (C headers and Python modules installed on the machine, cut
at line ends) and tables of numbers.

usage: make_evalset.py [--per-class N] [--seed S] [--only CLASS,...]
                       [--body-bytes B] [--kinds all|languages|junk]

--body-bytes B makes every body (junk too) at least B bytes long, for
benchmarks that compare costs per record across mixes (bench/consume).

A language whose list is not installed is skipped with a line on stderr
naming the package. The packages (bench only, not in CI):
  wamerican wngerman wfrench wspanish witalian wportuguese wdutch
  wswedish wnorwegian wdanish wpolish wukrainian wbulgarian wcatalan
  hunspell-ru hunspell-el hunspell-ar hunspell-he hunspell-hi
  hunspell-bn hunspell-ko hunspell-th hunspell-cs hunspell-hu
  hunspell-ro hunspell-tr hunspell-hr hunspell-sk hunspell-lt
  hunspell-id hunspell-vi
"""
import argparse
import base64
import glob
import itertools
import random
import re
import sys
import unicodedata

DICT = "/usr/share/dict/"
HUN = "/usr/share/hunspell/"

# tag, script, file, package
LANGS = [
    ("en", "Latin", DICT + "american-english", "wamerican"),
    ("de", "Latin", DICT + "ngerman", "wngerman"),
    ("fr", "Latin", DICT + "french", "wfrench"),
    ("es", "Latin", DICT + "spanish", "wspanish"),
    ("it", "Latin", DICT + "italian", "witalian"),
    ("pt", "Latin", DICT + "portuguese", "wportuguese"),
    ("nl", "Latin", DICT + "dutch", "wdutch"),
    ("sv", "Latin", DICT + "swedish", "wswedish"),
    ("nb", "Latin", DICT + "bokmaal", "wnorwegian"),
    ("da", "Latin", DICT + "danish", "wdanish"),
    ("pl", "Latin", DICT + "polish", "wpolish"),
    ("ca", "Latin", DICT + "catalan", "wcatalan"),
    ("cs", "Latin", HUN + "cs_CZ.dic", "hunspell-cs"),
    ("sk", "Latin", HUN + "sk_SK.dic", "hunspell-sk"),
    ("hu", "Latin", HUN + "hu_HU.dic", "hunspell-hu"),
    ("ro", "Latin", HUN + "ro_RO.dic", "hunspell-ro"),
    ("tr", "Latin", HUN + "tr_TR.dic", "hunspell-tr"),
    ("hr", "Latin", HUN + "hr_HR.dic", "hunspell-hr"),
    ("lt", "Latin", HUN + "lt_LT.dic", "hunspell-lt"),
    ("id", "Latin", HUN + "id_ID.dic", "hunspell-id"),
    ("vi", "Latin", HUN + "vi_VN.dic", "hunspell-vi"),
    ("ru", "Cyrillic", HUN + "ru_RU.dic", "hunspell-ru"),
    ("uk", "Cyrillic", DICT + "ukrainian", "wukrainian"),
    ("bg", "Cyrillic", DICT + "bulgarian", "wbulgarian"),
    ("el", "Greek", HUN + "el_GR.dic", "hunspell-el"),
    ("ar", "Arabic", HUN + "ar.dic", "hunspell-ar"),
    ("he", "Hebrew", HUN + "he_IL.dic", "hunspell-he"),
    ("hi", "Devanagari", HUN + "hi_IN.dic", "hunspell-hi"),
    ("bn", "Bengali", HUN + "bn_BD.dic", "hunspell-bn"),
    ("ko", "Hangul", HUN + "ko_KR.dic", "hunspell-ko"),
    ("th", "Thai", HUN + "th_TH.dic", "hunspell-th"),
]
NO_SPACES = {"th"}
MAX_LINES = 60000  # lines read of a list
JUNK = ["junk:random-words", "junk:base64", "junk:code", "junk:numbers"]


def encoding_of(path):
    """The SET of a hunspell dictionary's .aff, else UTF-8."""
    if not path.endswith(".dic"):
        return "utf-8"
    try:
        with open(path[:-4] + ".aff", "rb") as f:
            for line in f:
                if line.startswith(b"SET "):
                    return line.split()[1].decode("ascii")
    except OSError:
        pass
    return "utf-8"


def load_words(path):
    """The plain words of a list: hunspell flags and fields dropped, no
    digits, abbreviations, possessives or punctuation."""
    enc = encoding_of(path)
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode(enc)
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    lines = text.split("\n")
    if path.endswith(".dic") and lines and lines[0].strip().isdigit():
        lines = lines[1:]
    if len(lines) > MAX_LINES:
        # a fixed sample of the big lists (Greek has 800,000 forms): the
        # same words every run, and a run in seconds
        lines = random.Random(path).sample(lines, MAX_LINES)
    words = set()
    for line in lines:
        w = re.split(r"[/\t ]", line.strip(), 1)[0]
        w = unicodedata.normalize("NFC", w)
        if len(w) < 1 or len(w) > 24:
            continue
        if any(not (c.isalpha() or unicodedata.category(c).startswith("M")
                    or c == "-") for c in w):
            continue
        if w.startswith("-") or w.endswith("-"):
            continue
        if len(w) > 1 and w.isupper():
            continue
        words.add(w)
    return sorted(words)


class Sampler:
    """Words with weight 1/length^3."""

    def __init__(self, words, rnd):
        self.words = words
        self.rnd = rnd
        self.cum = list(itertools.accumulate(1.0 / (len(w) ** 3)
                                             for w in words))

    def word(self):
        return self.rnd.choices(self.words, cum_weights=self.cum)[0]


def sentence(s, rnd, n, tag):
    words = [s.word() for _ in range(n)]
    if tag not in NO_SPACES:
        words[0] = words[0][:1].upper() + words[0][1:]
        return " ".join(words) + "."
    # Thai: words run together; a space ends a phrase
    out, run = [], []
    for w in words:
        run.append(w)
        if rnd.random() < 0.25:
            out.append("".join(run))
            run = []
    if run:
        out.append("".join(run))
    return " ".join(out)


def language_text(s, rnd, tag, body_bytes):
    head = sentence(s, rnd, rnd.randint(6, 12), tag).rstrip(".")
    body, words, size = [], 0, 0
    target = rnd.randint(40, 80)
    while words < target or size < body_bytes:
        n = rnd.randint(5, 16)
        body.append(sentence(s, rnd, n, tag))
        words += n
        size += len(body[-1].encode()) + 1
    return head + "\n\n" + " ".join(body)


def junk_random_words(rnd):
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rnd.choice(letters) for _ in range(rnd.randint(2, 10)))
             for _ in range(rnd.randint(40, 90))]
    return " ".join(words)


def junk_base64(rnd):
    raw = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(300, 700)))
    b = base64.b64encode(raw).decode("ascii")
    return "\n".join(b[i:i + 76] for i in range(0, len(b), 76))


def code_files():
    files = sorted(glob.glob("/usr/include/*.h") +
                   glob.glob("/usr/lib/python3*/*.py"))
    return [f for f in files if not f.endswith("__init__.py")]


def junk_code(rnd, files):
    for _ in range(50):
        path = rnd.choice(files)
        try:
            lines = open(path, encoding="utf-8").read().split("\n")
        except (OSError, UnicodeDecodeError):
            continue
        if len(lines) < 40:
            continue
        at = rnd.randint(0, len(lines) - 30)
        text = "\n".join(lines[at:at + rnd.randint(20, 40)]).strip()
        if len(text) >= 400:
            return text[:1200]
    return "int main(void)\n{\n    return 0;\n}\n"


def junk_numbers(rnd):
    rows = []
    for _ in range(rnd.randint(10, 25)):
        cells = []
        for _ in range(rnd.randint(4, 8)):
            k = rnd.random()
            if k < 0.4:
                cells.append("%d" % rnd.randint(0, 100000))
            elif k < 0.7:
                cells.append("%.2f" % (rnd.random() * 1000 - 500))
            elif k < 0.85:
                cells.append("%+.1f%%" % (rnd.random() * 20 - 10))
            else:
                cells.append("2026-%02d-%02d" % (rnd.randint(1, 12),
                                                 rnd.randint(1, 28)))
        rows.append(rnd.choice([" | ", "\t", ", ", "  "]).join(cells))
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=200)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--only", default="")
    ap.add_argument("--body-bytes", type=int, default=0)
    ap.add_argument("--kinds", choices=["all", "languages", "junk"],
                    default="all")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    rnd = random.Random(args.seed)
    out = sys.stdout
    langs = 0
    scripts = set()
    for tag, script, path, pkg in LANGS:
        if (only and tag not in only) or args.kinds == "junk":
            continue
        try:
            words = load_words(path)
        except OSError:
            sys.stderr.write("make_evalset: %s: not installed (apt-get "
                             "install %s): %s skipped\n" % (path, pkg, tag))
            continue
        if len(words) < 1000:
            sys.stderr.write("make_evalset: %s: %d words only: %s skipped\n"
                             % (path, len(words), tag))
            continue
        langs += 1
        scripts.add(script)
        s = Sampler(words, rnd)
        for _ in range(args.per_class):
            text = language_text(s, rnd, tag, args.body_bytes)
            out.write(tag + "\t" + text.replace("\n", "\\n") + "\n")
    files = code_files()
    kinds = 0
    for kind in JUNK:
        if (only and kind not in only) or args.kinds == "languages":
            continue
        kinds += 1
        for _ in range(args.per_class):
            text = ""
            while len(text.encode()) < max(args.body_bytes, 1):
                text += "\n" if text else ""
                if kind == "junk:random-words":
                    text += junk_random_words(rnd)
                elif kind == "junk:base64":
                    text += junk_base64(rnd)
                elif kind == "junk:code":
                    text += junk_code(rnd, files)
                else:
                    text += junk_numbers(rnd)
            text = text.replace("\\", "\\\\").replace("\t", "    ")
            out.write(kind + "\t" + text.replace("\n", "\\n") + "\n")
    sys.stderr.write("make_evalset: %d languages in %d scripts, %d junk "
                     "kinds, %d records each\n"
                     % (langs, len(scripts), kinds, args.per_class))


if __name__ == "__main__":
    main()
