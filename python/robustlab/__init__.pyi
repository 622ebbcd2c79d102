from typing import List, Optional

import numpy as np

from . import adaptation as adaptation
from . import attacks as attacks
from . import metrics as metrics
from . import results as results

def get_corruption_names(subset: str = ...) -> List[str]: ...
def corrupt(image: np.ndarray, severity: int = ..., corruption_name: Optional[str] = ..., corruption_number: int = ...,
            *, seed: int = ..., key: str = ...) -> np.ndarray: ...
def set_threads(n: int) -> None: ...
def threads() -> int: ...
