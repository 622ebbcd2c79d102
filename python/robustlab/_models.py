"""Models for the C++ side: TorchScript modules, shared with the caller (not copied)."""
import torch


def scripted(model):
    """A torch.jit.ScriptModule for ``model``: itself when it is one, else torch.jit.script(model).
    Raises ValueError naming the reason when the module cannot be scripted."""
    if isinstance(model, torch.jit.ScriptModule):
        return model
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"expected a torch.nn.Module or torch.jit.ScriptModule, got {type(model).__name__}")
    try:
        return torch.jit.script(model)
    except Exception as e:  # TorchScript's frontend raises several types
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(f"the model cannot be scripted with torch.jit.script: {first}") from None
