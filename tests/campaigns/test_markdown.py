from trousse.campaigns.markdown import render_markdown


def test_markdown_is_rendered():
    html = render_markdown("Nous partons **trois jours**.\n\n- pêche à pied\n- phare")
    assert "<strong>trois jours</strong>" in html
    assert "<li>pêche à pied</li>" in html


def test_raw_html_and_scripts_never_reach_the_page():
    html = render_markdown('<script>alert("x")</script><img src=x onerror=alert(1)>\n\n<a href="#" onclick="x()">a</a>')
    assert "<script" not in html
    assert "<img" not in html
    # Raw HTML is shown as text, escaped, never as a tag.
    assert "<a href=\"#\" onclick" not in html
    assert "&lt;script&gt;" in html


def test_javascript_links_are_dropped_and_real_links_get_safe_rel():
    html = render_markdown("[piège](javascript:alert(1)) et [mairie](https://www.niort.fr)")
    assert 'href="javascript' not in html
    assert '<a href="https://www.niort.fr" rel="noopener noreferrer nofollow ugc">mairie</a>' in html


def test_big_headings_become_h3_so_the_page_keeps_its_outline():
    html = render_markdown("# Notre projet")
    assert html == "<h3>Notre projet</h3>"


def test_empty_text_renders_nothing():
    assert render_markdown("") == ""
