"""News layout in segmentation: datelines, bylines, captions and credits, tag footers and page furniture are kinds of
their own that are not annotated; the furniture list is configuration (`SegmentationConfig`)."""

from __future__ import annotations

from stance_corpus.corpus.schema import ANNOTATED_KINDS, Article
from stance_corpus.corpus.segment import DEFAULT_CONFIG, SegmentationConfig, segment_article

WIKINEWS = """Texas student Ahmed Mohamed inspires social movement

Tuesday, September 22, 2015

News of police response to a boy's digital clock in Texas last week has inspired a global social movement. \
He met the press on Monday.

US President Barack Obama tweet to student Ahmed Mohamed Image: Twitter / Barack Obama.

Braverman (left) and Sunak (right) on October 25, 2022. Image: UK Government.

Image: Nick Moreau.

Twitter gave Mohamed the option to come to their company for an internship.

Tags: Texas, Twitter, education

Exit mobile version
"""

WIRE = """Wild beat Sabres 4-1 as Parise scores twice

By Laura Smith-Spark, CNN

Updated 1:36 p.m. ET, Wed February 10, 2016

BUFFALO, N.Y. — Hours before Zach Parise's two-goal performance Tuesday, the coach expressed confidence in him.

Group F — Sweden beat Korea in a tight match on Monday evening, officials said.

(AP Photo/Jeffrey T. Barnes)

(Reporting by Omar Haddad; Editing by Anne Dupont)

Filed under: Sports, Hockey

Read more from our partners
"""


def kinds(text: str, config: SegmentationConfig = DEFAULT_CONFIG) -> list[tuple[str, str]]:
    article = Article(id="a", text=text, title=None, source=None, published=None, url=None, language="en",
                      license="CC BY 2.5")
    segments = list(segment_article(article, config))
    assert all(text[s.start:s.end] == s.text for s in segments)
    return [(s.kind.value, s.text) for s in segments]


def test_wikinews_layout():
    assert kinds(WIKINEWS) == [
        ("headline", "Texas student Ahmed Mohamed inspires social movement"),
        ("dateline", "Tuesday, September 22, 2015"),
        ("body", (
            "News of police response to a boy's digital clock in Texas last week has inspired a global social movement."
        )),
        ("body", "He met the press on Monday."),
        ("caption", "US President Barack Obama tweet to student Ahmed Mohamed"),
        ("credit", "Image: Twitter / Barack Obama."),
        ("caption", "Braverman (left) and Sunak (right) on October 25, 2022."),
        ("credit", "Image: UK Government."),
        ("credit", "Image: Nick Moreau."),
        ("body", "Twitter gave Mohamed the option to come to their company for an internship."),
        ("tags", "Tags: Texas, Twitter, education"),
        ("boilerplate", "Exit mobile version"),
    ]


def test_wire_layout_and_a_dateline_only_before_the_lead():
    assert kinds(WIRE) == [
        ("headline", "Wild beat Sabres 4-1 as Parise scores twice"),
        ("byline", "By Laura Smith-Spark, CNN"),
        ("dateline", "Updated 1:36 p.m. ET, Wed February 10, 2016"),
        ("dateline", "BUFFALO, N.Y. —"),
        ("body", "Hours before Zach Parise's two-goal performance Tuesday, the coach expressed confidence in him."),
        # Not the lead: "Group F —" stays in the sentence.
        ("body", "Group F — Sweden beat Korea in a tight match on Monday evening, officials said."),
        ("credit", "(AP Photo/Jeffrey T. Barnes)"),
        ("byline", "(Reporting by Omar Haddad; Editing by Anne Dupont)"),
        ("tags", "Filed under: Sports, Hockey"),
        ("heading", "Read more from our partners"),
    ]


def test_layout_kinds_are_not_annotated():
    annotated = {kind.value for kind in ANNOTATED_KINDS}
    layout = {"dateline", "byline", "caption", "credit", "tags", "boilerplate"}
    assert annotated == {"heading", "body"}
    assert {kind for kind, _ in kinds(WIKINEWS) + kinds(WIRE)} >= layout


def test_page_furniture_is_configuration():
    config = SegmentationConfig(furniture=("Read more from our partners", "Exit mobile version"))
    assert kinds(WIRE, config)[-1] == ("boilerplate", "Read more from our partners")
    assert kinds(WIKINEWS, SegmentationConfig(furniture=()))[-1] == ("heading", "Exit mobile version")


def test_sentences_that_look_like_layout_stay_body():
    text = ("Headline\n\nBy Tuesday, the rebels had retreated from the town.\n\n"
            "Kerry — who spoke in Rome — called for a halt.\n\n"
            "The photo: a boy holding a clock, which he built himself.\n\n"
            "Opposition: ‘Massive acceleration’\n")
    assert kinds(text) == [
        ("headline", "Headline"),
        ("body", "By Tuesday, the rebels had retreated from the town."),
        ("body", "Kerry — who spoke in Rome — called for a halt."),
        ("body", "The photo: a boy holding a clock, which he built himself."),
        ("heading", "Opposition: ‘Massive acceleration’"),
    ]
