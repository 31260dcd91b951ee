from django.http import HttpRequest

from .roles import ROLE_LABELS, roles_of


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": []}
    return {"user_roles": [ROLE_LABELS[r] for r in roles_of(user)]}
