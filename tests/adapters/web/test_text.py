"""User text on the web pages: Markdown that cannot inject markup, and search words highlighted."""

from __future__ import annotations

from adapters.webui.text import highlight, markdown, query_words


def test_markdown_renders_and_html_stays_text() -> None:
    html = str(markdown('Cleared the **cache** <script>alert("x")</script>\n\n<img src=x onerror=alert(1)>'))
    assert "<strong>cache</strong>" in html
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_markdown_refuses_script_links_and_images() -> None:
    html = str(
        markdown("[click](javascript:alert(1)) ![pixel](https://tracker.example/p.png) [ok](https://ok.example)")
    )
    assert "javascript:" not in html.split("[click]")[0] and 'href="javascript' not in html
    assert "<img" not in html
    assert '<a href="https://ok.example">ok</a>' in html


def test_query_words_leave_out_filters_and_common_words() -> None:
    assert query_words('the PDF export "template cache" #billing state:draft of') == [
        "pdf",
        "export",
        "template",
        "cache",
    ]


def test_highlight_marks_each_form_of_a_searched_word_and_escapes_the_rest() -> None:
    words = query_words("export times pdf expo")
    html = str(highlight("PDF exports <b>time</b> out; exporting is slow; the timeout is long", words))
    assert html == (
        "<mark>PDF</mark> <mark>exports</mark> &lt;b&gt;<mark>time</mark>&lt;/b&gt; out; <mark>exporting</mark> "
        "is slow; the timeout is long"
    )


def test_highlight_without_words_only_escapes() -> None:
    assert str(highlight("a <b> c", [])) == "a &lt;b&gt; c"
