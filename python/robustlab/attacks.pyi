from typing import Optional, Tuple, Union

import torch

def fmn(model: Union[torch.nn.Module, torch.jit.ScriptModule], x: torch.Tensor, y: torch.Tensor, norm: str = ...,
        steps: int = ..., alpha_init: float = ..., gamma_init: float = ..., official: bool = ..., targeted: bool = ...,
        targets: Optional[torch.Tensor] = ...) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]: ...
