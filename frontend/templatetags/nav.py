from django import template

from trousse.accounts.selectors import actor_scope

register = template.Library()


@register.simple_tag
def scope_of(user):
    """{% scope_of request.user as scope %}: the roles the navigation is built from (one query, memoised)."""
    return actor_scope(user)


@register.simple_tag(takes_context=True)
def absolute_url(context, path):
    """Absolute address for Open Graph and share links (they leave the site)."""
    request = context.get("request")
    if not path:
        return ""
    if str(path).startswith(("http://", "https://")):
        return path
    return request.build_absolute_uri(path) if request is not None else path


@register.filter
def lookup(mapping, key):
    """{{ review_comments|lookup:field.name }}: a dict entry by a variable key."""
    if not mapping:
        return ""
    return mapping.get(key, "")


@register.filter
def split_words(text):
    return str(text).split()


@register.filter
def field(form, name):
    """{{ form|field:name }}: a bound field by a variable name, or None when the form has no such field."""
    try:
        return form[name]
    except KeyError:
        return None


@register.filter
def review_field_label(name):
    """The label a teacher knows for a field a reviewer commented on."""
    from django.utils.text import capfirst
    from django.utils.translation import gettext

    from trousse.moderation.selectors import REVIEWABLE_FIELDS

    if name == "__all__":
        return gettext("Message")
    return capfirst(REVIEWABLE_FIELDS.get(name, name))
