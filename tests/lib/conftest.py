from tests.social.conftest import make_users

__all__ = ["make_users"]
