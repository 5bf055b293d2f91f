"""{% per_language %}: constant markup rendered once per language, and nothing else accepted inside it."""

import pytest
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import NodeList
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString

from frontend.templatetags.static_text import PerLanguageNode

ENGINE = Engine(
    libraries={"static_text": "frontend.templatetags.static_text"},
    builtins=["django.templatetags.i18n", "django.templatetags.static"],
)


def compile_block(body: str):
    return ENGINE.from_string("{% load static_text %}{% per_language %}" + body + "{% endper_language %}")


@pytest.mark.parametrize(
    "body",
    [
        "Bonjour {{ user.first_name }}",
        "{% if user.is_authenticated %}Mon espace{% endif %}",
        "<form>{% csrf_token %}</form>",
        "{% translate message %}",
        "{% translate 'Le budget' as heading %}",
        "{% translate 'Le budget'|upper %}",
        "{% url 'campaign_detail' slug %}",
        "{% url 'home' as home_url %}",
        "{% static path %}",
        "{% blocktranslate %}Bonjour {{ name }}{% endblocktranslate %}",
        "{% blocktranslate with name=user.first_name %}Bonjour {{ name }}{% endblocktranslate %}",
        "{% blocktranslate count counter=days %}jour{% plural %}jours{% endblocktranslate %}",
        "{% for campaign in campaigns %}x{% endfor %}",
    ],
)
def test_anything_that_could_depend_on_the_visitor_is_refused_at_compile_time(body):
    with pytest.raises(TemplateSyntaxError, match="per_language"):
        compile_block(body)


def test_the_refusal_names_the_node():
    with pytest.raises(TemplateSyntaxError, match=r"URLNode \{% url 'campaign_detail' slug %\}"):
        compile_block("{% url 'campaign_detail' slug %}")


def test_constant_nodes_are_accepted_and_rendered_as_without_the_block(settings):
    body = (
        "<a href=\"{% url 'home' %}\">{% translate 'Les projets' %}</a>{% comment %}pour les relecteurs{% endcomment %}"
        "<a href=\"{% url 'campaign_detail' 'classe-de-mer' %}\">{% blocktranslate %}Le budget{% endblocktranslate %}</a>"
        "<link href=\"{% static 'frontend/site.css' %}\">"
    )
    with translation.override("fr"):
        plain = ENGINE.from_string(body).render(Context())
        cached = compile_block(body).render(Context())
    assert cached == plain
    assert isinstance(cached, SafeString)
    assert 'href="/projets/classe-de-mer/"' in cached


def test_each_language_gets_its_own_text():
    block = compile_block("{% translate 'Les projets' %}")
    rendered = []
    for language in ("fr", "en", "fr", "en"):
        with translation.override(language):
            rendered.append(block.render(Context()))
    assert rendered == ["Les projets", "Projects", "Les projets", "Projects"]


def counted(block):
    """Count how often the block renders its content (rather than serving what it stored)."""
    node = next(n for n in block.nodelist if isinstance(n, PerLanguageNode))
    renders = []

    class Counting(NodeList):
        def render(self, context):
            renders.append(1)
            return super().render(context)

    node.nodelist = Counting(node.nodelist)
    return renders


def test_renders_once_per_language_then_serves_the_stored_text(settings):
    settings.DEBUG = False
    block = compile_block("{% translate 'Le budget' %}")
    renders = counted(block)
    for language in ("fr", "en", "fr", "en", "fr"):
        with translation.override(language):
            block.render(Context())
    assert len(renders) == 2


def test_under_debug_it_renders_every_time(settings):
    settings.DEBUG = True
    block = compile_block("{% translate 'Le budget' %}")
    renders = counted(block)
    with translation.override("fr"):
        for _ in range(3):
            block.render(Context())
    assert len(renders) == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected", "other"),
    [
        ("fr", ["Aller au contenu", ">Les projets<", ">Se connecter<", "Mes données personnelles"], ["Skip to content", ">Projects<"]),
        ("en", ["Skip to content", ">Projects<", ">Log in<", "My personal data"], ["Aller au contenu", ">Les projets<"]),
    ],
)
def test_the_frame_speaks_the_visitors_language(client, language, expected, other):
    # The other language first, so its text is stored before this one is asked for.
    client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en" if language == "fr" else "fr")
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'<html lang="{language}">' in html
    for text in expected:
        assert text in html
    for text in other:
        assert text not in html


@pytest.mark.django_db
def test_a_signed_in_visitor_still_gets_the_personal_menu(client, teacher):
    client.force_login(teacher)
    for language, mine, projects in (("fr", "Mon espace", "Les projets"), ("en", "My space", "Projects")):
        html = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f">{projects}<" in html
        assert mine in html
        assert 'name="csrfmiddlewaretoken"' in html
