"""Models of the orders app: sales orders (orders.py) and pre-order documents (preorder.py)."""

from .orders import *  # noqa: F403
from .orders import CANCELLABLE_STATES, FULFILMENT_STATES, OPEN_STATES, REVIEW_STATES  # noqa: F401
from .preorder import *  # noqa: F403
from .preorder import REVISABLE_STATES, SIGNOFF_PERMISSIONS, SUPERSEDABLE_STATES, discounted  # noqa: F401
