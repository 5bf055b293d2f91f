"""{% per_language %}…{% endper_language %}: markup that is the same for every visitor, rendered once per language.

Every page puts its content in base.html's frame, and the campaign page says the same long
sentences to everyone; each `{% translate %}` or `{% url %}` node costs some thirty-five Python
calls per render. This block renders its content once per process and per language (and per
autoescape mode, script prefix and URLconf, which the same nodes also read) and serves that
string afterwards. Under settings.DEBUG it renders every time, so template edits show at once.

Safe by construction: at compile time the block refuses every node whose output could depend on
the request or the context — `{{ variables }}`, `{% if %}`, `{% csrf_token %}`, a tag that takes a
variable or stores into one (`as`). It accepts only text, `{% translate "literal" %}`,
`{% blocktranslate %}` without variables, `with`, `count` or `asvar`, `{% url 'name' %}` and
`{% static 'path' %}` with literal arguments, and `{% comment %}`. Whatever it holds is therefore
a function of the language alone, so one visitor's data can never be cached into another
visitor's page; a template that tries fails to compile instead.

The rendered strings live on the node itself: the cached template loader compiles each template
once per process, so the node (and its strings) lives as long as the process; were a template
compiled again, the new node would start empty rather than serve another node's text (which a
module-level dict keyed by id(node) could do once an old node's id was reused).
"""

from django import template
from django.conf import settings
from django.template.base import FilterExpression, TextNode, TokenType, Variable
from django.template.defaulttags import CommentNode, URLNode
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.templatetags.static import StaticNode
from django.urls import get_script_prefix, get_urlconf
from django.utils import translation

register = template.Library()


def _constant(expression) -> bool:
    """A filter expression without filters whose value is a literal (a quoted string or a number)."""
    if not isinstance(expression, FilterExpression) or expression.filters:
        return False
    value = expression.var
    return not isinstance(value, Variable) or value.lookups is None


def _refusal(node) -> str | None:
    """Why `node` may not be rendered once for everyone, or None if it may."""
    if isinstance(node, (TextNode, CommentNode)):
        return None
    if isinstance(node, TranslateNode):
        if node.asvar:
            return "stores its result with 'as'"
        if not _constant(node.filter_expression):
            return "translates a variable or uses a filter"
        if node.message_context is not None and not _constant(node.message_context):
            return "has a variable context"
        return None
    if isinstance(node, BlockTranslateNode):
        if node.asvar:
            return "stores its result with 'asvar'"
        if node.extra_context:
            return "takes values with 'with'"
        if node.countervar or node.counter is not None or node.plural:
            return "uses 'count'"
        if any(token.token_type == TokenType.VAR for token in node.singular):
            return "contains a variable"
        if node.message_context is not None and not _constant(node.message_context):
            return "has a variable context"
        return None
    if isinstance(node, URLNode):
        if node.asvar:
            return "stores its result with 'as'"
        if not all(_constant(e) for e in (node.view_name, *node.args, *node.kwargs.values())):
            return "takes a variable argument"
        return None
    if isinstance(node, StaticNode):
        if node.varname:
            return "stores its result with 'as'"
        if not _constant(node.path):
            return "takes a variable path"
        return None
    return "is not one of the constant nodes this block accepts"


class PerLanguageNode(template.Node):
    child_nodelists = ("nodelist",)

    def __init__(self, nodelist):
        self.nodelist = nodelist
        # Only {% url %} reads the script prefix and the URLconf; skip those look-ups otherwise.
        self.reverses = any(isinstance(node, URLNode) for node in nodelist)
        self.rendered = {}

    def render(self, context):
        if settings.DEBUG:
            return self.nodelist.render(context)
        key = (translation.get_language(), context.autoescape)
        if self.reverses:
            key += (get_script_prefix(), get_urlconf())
        try:
            return self.rendered[key]
        except KeyError:
            # Two threads may both render a missing key: they store the same string.
            text = self.rendered[key] = self.nodelist.render(context)
            return text


def _source(node) -> str:
    """The refused node as written, for the error message."""
    token = getattr(node, "token", None)
    if token is None:
        return ""
    if token.token_type == TokenType.VAR:
        return "{{ %s }}" % token.contents
    return "{%% %s %%}" % token.contents


@register.tag
def per_language(parser, token):
    """{% per_language %}…{% endper_language %}: constant markup rendered once per language (see the module)."""
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("{% per_language %} takes no arguments.")
    nodelist = parser.parse(("endper_language",))
    parser.delete_first_token()
    for node in nodelist:
        reason = _refusal(node)
        if reason:
            raise template.TemplateSyntaxError(
                f"{{% per_language %}} may only hold constant text: {type(node).__name__} {_source(node)} {reason}."
            )
    return PerLanguageNode(nodelist)
