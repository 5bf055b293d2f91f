"""Who may see what: every scoped query in La Trousse starts from `actor_scope`."""

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser

from .models import Membership, Role, User


@dataclass(frozen=True)
class ActorScope:
    """The organisations a user acts for, by role (ids only: cheap to compare and to filter on)."""

    user_id: int | None = None
    teacher_of: frozenset[int] = field(default_factory=frozenset)  # cooperative ids
    mandataire_of: frozenset[int] = field(default_factory=frozenset)  # cooperative ids
    animator_of: frozenset[int] = field(default_factory=frozenset)  # AD ids
    treasurer_of: frozenset[int] = field(default_factory=frozenset)  # AD ids
    is_federation_admin: bool = False

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def staff_ads(self) -> frozenset[int]:
        """ADs whose staff (animator or treasurer) the user is."""
        return self.animator_of | self.treasurer_of

    @property
    def cooperatives(self) -> frozenset[int]:
        return self.teacher_of | self.mandataire_of

    def is_teacher_of(self, cooperative_id: int) -> bool:
        return cooperative_id in self.teacher_of

    def is_mandataire_of(self, cooperative_id: int) -> bool:
        return self.is_federation_admin or cooperative_id in self.mandataire_of

    def is_animator_of(self, ad_id: int) -> bool:
        return self.is_federation_admin or ad_id in self.animator_of

    def is_treasurer_of(self, ad_id: int) -> bool:
        return self.is_federation_admin or ad_id in self.treasurer_of

    def is_staff_of(self, ad_id: int) -> bool:
        return self.is_federation_admin or ad_id in self.staff_ads


ANONYMOUS_SCOPE = ActorScope()


def actor_scope(user: User | AnonymousUser | None) -> ActorScope:
    """The user's memberships, read once per request (memoised on the user object)."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS_SCOPE
    cached = getattr(user, "_actor_scope", None)
    if cached is not None:
        return cached
    by_role: dict[str, set[int]] = {role: set() for role in Role.values}
    for role, cooperative_id, ad_id in Membership.objects.filter(user=user).values_list("role", "cooperative_id", "ad_id"):
        by_role[role].add(cooperative_id or ad_id or 0)
    scope = ActorScope(
        user_id=user.pk,
        teacher_of=frozenset(by_role[Role.TEACHER]),
        mandataire_of=frozenset(by_role[Role.MANDATAIRE]),
        animator_of=frozenset(by_role[Role.ANIMATOR]),
        treasurer_of=frozenset(by_role[Role.AD_TREASURER]),
        is_federation_admin=bool(by_role[Role.FEDERATION_ADMIN]) or user.is_superuser,
    )
    user._actor_scope = scope
    return scope
