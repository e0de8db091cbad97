"""PhoneNumber.normalize against libphonenumber (PyPI phonenumbers, pinned).

A deterministic corpus over all regions (example numbers of every type in
E164, INTERNATIONAL, NATIONAL and RFC3966 form, with NBSP, U+2011, '/', '.',
full-width digits, 00 for +, "(0)" and "(+cc)" variants, plus mutated and
random digit strings, extensions and letters) goes through the hidden
`profiles-bench phone-normalize` filter (next to PROFILES_SERVER) in one
process. Rules: phonenumbers valid -> exactly its E.164; invalid or
unparseable -> ERR; extensions and letters -> ERR (refused by design).

Without a region, a leading "00" is read by us as "+", so such input is
compared with phonenumbers.parse("+" + rest).
"""

import os
import random
import re
import subprocess

import phonenumbers
from phonenumbers import PhoneNumberFormat as F, PhoneNumberType as T

TYPES = [T.FIXED_LINE, T.MOBILE, T.TOLL_FREE, T.PREMIUM_RATE, T.SHARED_COST, T.VOIP,
         T.PERSONAL_NUMBER, T.PAGER, T.UAN, T.VOICEMAIL]
FULL_WIDTH = str.maketrans("0123456789+", "０１２３４５６７８９＋")
LETTER = re.compile(r"[A-Za-z]")


def bench_binary():
    server = os.environ["PROFILES_SERVER"]
    return os.path.join(os.path.dirname(server), "profiles-bench")


def variants(text):
    """The spellings people and systems produce of one formatted number."""
    out = {text, text.replace(" ", "\u00a0"), text.replace("-", "\u2011"), text.replace(" ", "-").replace("-", "\u2011"),
           re.sub(r"[ \-]", "/", text), re.sub(r"[ \-]", ".", text), text.translate(FULL_WIDTH), " " + text + " "}
    return out


def expected(region, text):
    """("OK", e164) or ("ERR", why) as libphonenumber decides, with our 00 rule."""
    query = "+" + text[2:] if region is None and text.startswith("00") else text
    try:
        number = phonenumbers.parse(query, region)
    except phonenumbers.NumberParseException as e:
        return ("ERR", "parse: %s" % e)
    if number.extension:
        return ("ERR", "extension (refused by design)")
    if not phonenumbers.is_valid_number(number):
        return ("ERR", "invalid")
    return ("OK", phonenumbers.format_number(number, F.E164))


def corpus():
    rng = random.Random(20260501)
    cases = []  # (region or None, text, letters_or_extension_class)
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        cc = phonenumbers.country_code_for_region(region)
        prefix = phonenumbers.ndd_prefix_for_region(region, True)
        for numtype in TYPES:
            number = phonenumbers.example_number_for_type(region, numtype)
            if number is None:
                continue
            e164 = phonenumbers.format_number(number, F.E164)
            intl = phonenumbers.format_number(number, F.INTERNATIONAL)
            national = phonenumbers.format_number(number, F.NATIONAL)
            rfc = phonenumbers.format_number(number, F.RFC3966)
            nsn = phonenumbers.national_significant_number(number)
            for text in variants(intl) | {e164, rfc, "00" + e164[1:], "00 " + intl[1:]}:
                cases.append((None, text))
                cases.append((region, text))
            for text in variants(national):
                cases.append((region, text))
                cases.append((None, text))  # a national number without region: refused
            if prefix == "0":
                cases.append((None, "+%d (0)%s" % (cc, nsn)))
                cases.append((None, "+%d (0) %s" % (cc, intl.split(" ", 1)[1] if " " in intl else nsn)))
            cases.append((None, "(+%d) %s" % (cc, nsn)))
            cases.append((region, "tel:%s;phone-context=+%d" % (national.replace(" ", "-"), cc)))
            # Mutations: a digit dropped, added, changed -- mostly invalid.
            digits = list(nsn)
            for _ in range(3):
                d = digits[:]
                op = rng.randrange(3)
                i = rng.randrange(len(d))
                if op == 0 and len(d) > 1:
                    del d[i]
                elif op == 1:
                    d.insert(i, str(rng.randrange(10)))
                else:
                    d[i] = str(rng.randrange(10))
                cases.append((None, "+%d %s" % (cc, "".join(d))))
                cases.append((region, "".join(d)))
            # Refused by design: extensions and vanity letters.
            cases.append((None, intl + " ext. 12"))
            cases.append((None, intl + " x12"))
            cases.append((None, e164 + ";ext=12"))
            cases.append((region, national + " #12"))
            cases.append((None, intl + "~12"))
        # International prefix from this region, e.g. 011 49 ... from US.
        idd = phonenumbers.PhoneMetadata.metadata_for_region(region).international_prefix
        if idd and re.fullmatch(r"\d+", idd):
            cases.append((region, idd + " 49 151 23456703"))
            cases.append((region, idd + " 44 20 7946 0958"))
    for _ in range(2000):
        length = rng.randrange(3, 18)
        digits = "".join(str(rng.randrange(10)) for _ in range(length))
        region = rng.choice([None, None, rng.choice(sorted(phonenumbers.SUPPORTED_REGIONS))])
        cases.append((region, rng.choice(["+", "00", "", "0"]) + digits))
    cases += [(None, "1-800-FLOWERS"), ("US", "1-800-FLOWERS"), ("US", "1 800 356 9377"), (None, "")]
    seen = set()
    unique = []
    for case in cases:
        if case not in seen and "\t" not in case[1] and "\n" not in case[1]:
            seen.add(case)
            unique.append(case)
    return unique


def test_phone_numbers_match_libphonenumber():
    cases = corpus()
    lines = "".join("%s\t%s\n" % (region or "", text) for region, text in cases)
    run = subprocess.run([bench_binary(), "phone-normalize"], input=lines, capture_output=True,
                         text=True, encoding="utf-8", timeout=120)
    assert run.returncode == 0, run.stderr
    answers = run.stdout.split("\n")[:-1]
    assert len(answers) == len(cases)
    failures = []
    valid = refused = by_design = 0
    for (region, text), answer in zip(cases, answers):
        got = tuple(answer.split("\t", 1))
        want = expected(region, text)
        stripped = text[4:] if text.lower().startswith("tel:") else text
        stripped = re.sub(r";phone-context=[^;]*", "", stripped)
        design = bool(LETTER.search(stripped)) or want[1].startswith("extension")
        if design:
            by_design += 1
            ok = got[0] == "ERR"
        elif want[0] == "OK":
            valid += 1
            ok = got == want
        else:
            refused += 1
            ok = got[0] == "ERR"
        if not ok:
            failures.append("%r region=%s: want %s, got %s" % (text, region, want, got))
    print("\nphone oracle: %d cases, %d valid (exact E.164), %d refused as invalid, %d refused by design (letters, extensions)"
          % (len(cases), valid, refused, by_design))
    assert not failures, "%d mismatches, e.g.\n%s" % (len(failures), "\n".join(failures[:30]))
