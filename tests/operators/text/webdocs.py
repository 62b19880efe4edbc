"""Real-looking web documents with boilerplate planted, for the C4 / FineWeb / URL tests.

``web_documents(n, seed)`` mixes hand-written prose with navigation menus, cookie and
terms-of-use notices, "enable JavaScript" banners, citation markers, code with braces,
lorem ipsum, teaser lines ending in "...", duplicated lines, very long tokens, Unicode
spaces and CRLF line ends: each failure mode of the rules occurs in some documents and
not others, so parity with a plain-Python reference exercises every branch.
"""
from __future__ import annotations

import random

PROSE = [
    "The council approved the new embankment after years of argument.",
    "Local fishermen have mixed feelings about the work on the river.",
    "Some say the new walls will ruin the pools where the trout gather.",
    "Others are simply glad that their houses will stay dry this winter!",
    "Why did the plans cost more than twice the original estimate?",
    "\"We had no choice,\" said the mayor, \"the river rose too fast.\"",
    "The library opens at nine and closes at six on weekdays.",
    "Dr. Smith will give a talk about the history of the old mill.",
    "Tickets cost five pounds, and children under twelve go free.",
    "It rained for three days, and the lower streets were flooded again.",
    "She said it was 'the best summer festival in years'.",
    "The bridge was built in 1887 and rebuilt in 1952 [1].",
    "Its population grew quickly during the industrial era [2][3].",
    "The station closed in 1964 [citation needed].",
    "The river is about forty miles long [edit] and reaches the sea at Westport.",
    "Prices rose by 4.5 percent last year. Wages rose by less.",
    "Read the full report on our website… It is worth it.",
    "The museum, which reopened in May, now has a cafe and a shop.",
    "Volunteers planted two hundred trees along the path in March.",
    "Parking is free after six. The car park is behind the church.",
]
MENU = ["Home", "About us", "Contact", "News", "Sign in", "Share this article",
        "Related posts", "Copyright 2021 All rights reserved", "Follow us on Twitter"]
BOILER = [
    "This site uses cookies to improve your experience.",
    "By continuing you agree to our Terms of Use and Privacy Policy.",
    "Read our cookie policy for details.",
    "We use cookies to personalise content and ads.",
    "Please enable JavaScript to view the comments powered by Disqus.",
    "You need JavaScript enabled to use this page.",
    "Find out more about our use of cookies here.",
]
TEASERS = ["Click here to read more...", "The story continues...", "And then it happened…"]
BAD = ["Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
       "function init() { return window.location.href; }",
       "Set the option {debug: true} in the config file."]
SPACES = [" ", "  ", "\t", "\u00a0", "\u3000", ""]


def web_document(rng: random.Random) -> str:
    lines: list[str] = []
    if rng.random() < 0.5:
        lines += rng.sample(MENU, rng.randint(1, 4))
    for _ in range(rng.randint(0, 9)):
        r = rng.random()
        if r < 0.55:
            k = rng.randint(1, 3)
            line = " ".join(rng.sample(PROSE, k))
        elif r < 0.7:
            line = rng.choice(BOILER)
        elif r < 0.78:
            line = rng.choice(TEASERS)
        elif r < 0.84:
            line = rng.choice(MENU)
        elif r < 0.87:
            line = rng.choice(BAD)
        elif r < 0.9:
            line = "Download " + "x" * rng.choice([999, 1000, 1001, 1500]) + " now please."
        elif r < 0.95 and lines:
            line = rng.choice(lines)  # a duplicated line
        else:
            line = ""
        lines.append(rng.choice(SPACES) + line + rng.choice(SPACES))
    sep = "\r\n" if rng.random() < 0.15 else "\n"
    return sep.join(lines) + (sep if rng.random() < 0.3 else "")


def web_documents(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [web_document(rng) for _ in range(n)]
