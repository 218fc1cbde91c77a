"""``--strategy fsdp``: every process holds a shard of each parameter, gradient and AdamW state (FSDP2's
``fully_shard``, through Lightning's ModelParallelStrategy; Lightning's FSDPStrategy and torch's FSDP1 under
it refuse CPUs, FSDP2 runs on CPUs with gloo and on GPUs with nccl).

The training module shards its generator and discriminators in ``configure_model`` (``shard_modules``): each
child module of the two on its own, so a call into one part (validation calls the generator's posterior
encoder and decoder directly) gathers that part's parameters, then the two roots, with the methods other than
``forward`` that training calls registered as forward methods. Whatever reads whole weights (the voice file, the
non-finite rollback) goes through ``whole_state_dict`` / the strategy's own checkpoint loading.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.strategies import ModelParallelStrategy

# Methods other than forward that training and validation call on the roots: FSDP2 gathers a root's own
# parameters before these too.
ROOT_METHODS = {"generator": ("synthesize", "speaker_vector"), "discriminator": ("for_generator",)}


class ShardedDataParallel(ModelParallelStrategy):
    """ModelParallelStrategy as plain FSDP over every process (no tensor parallelism), one checkpoint file
    with whole tensors (as DDP writes), the process group's backend chosen for the device (gloo, nccl)."""

    def __init__(self) -> None:
        super().__init__(save_distributed_checkpoint=False)

    def setup_environment(self) -> None:
        self._data_parallel_size = self.num_nodes * self.num_processes
        self._tensor_parallel_size = 1
        super().setup_environment()

    def load_checkpoint(self, checkpoint_path: str | Path, weights_only: bool | None = None) -> dict[str, Any]:
        """A one-file checkpoint written under any strategy, into this process's shards. Optimizer states are
        matched to parameters by position in each optimizer, as ``torch.optim.Optimizer.load_state_dict``
        does: Lightning numbers a sharded run's discriminator parameters after the generator's (340, 341, ...
        in the tiny preset), DDP and one process from 0, and Lightning's own loading reads such numbers as
        positions in the whole model, which names the generator's parameters for the discriminator's state."""
        from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict, set_optimizer_state_dict

        assert self.model is not None and self.lightning_module is not None
        path = Path(self.broadcast(str(checkpoint_path)))
        checkpoint = torch.load(path, map_location="cpu", weights_only=weights_only)
        strict = self.lightning_module.strict_loading
        whole = StateDictOptions(full_state_dict=True, strict=strict)
        set_model_state_dict(self.model, checkpoint.pop("state_dict"), options=whole)
        names = {id(parameter): name for name, parameter in self.model.named_parameters()}
        for optimizer, saved in zip(self.optimizers, checkpoint["optimizer_states"]):
            optimizer = getattr(optimizer, "_optimizer", optimizer)  # a LightningOptimizer wraps it
            current = [names[id(parameter)] for group in optimizer.param_groups for parameter in group["params"]]
            name_of = dict(zip((number for group in saved["param_groups"] for number in group["params"]), current))
            by_name = {
                "state": {name_of[number]: value for number, value in saved["state"].items()},
                "param_groups": [{**group, "params": [name_of[number] for number in group["params"]]} for group in saved["param_groups"]],
            }
            set_optimizer_state_dict(self.model, optimizer, optim_state_dict=by_name, options=whole)
        return checkpoint


def is_sharded(module: torch.nn.Module) -> bool:
    from torch.distributed.fsdp import FSDPModule

    return any(isinstance(part, FSDPModule) for part in module.modules())


def shard_modules(modules: dict[str, torch.nn.Module], mesh: Any) -> None:
    """Shard each module's children with parameters, then the module itself, over the data-parallel mesh."""
    from torch.distributed.fsdp import fully_shard, register_fsdp_forward_method

    for name, module in modules.items():
        for part in _parts(module):
            fully_shard(part, mesh=mesh)
        fully_shard(module, mesh=mesh)
        for method in ROOT_METHODS.get(name, ()):
            if hasattr(module, method):
                register_fsdp_forward_method(module, method)


def _parts(module: torch.nn.Module) -> list[torch.nn.Module]:
    """The children with parameters, the members of a ModuleList or ModuleDict (which has no forward of its
    own to gather them in) in its place."""
    parts = []
    for child in module.children():
        if isinstance(child, (torch.nn.ModuleList, torch.nn.ModuleDict)):
            parts += _parts(child)
        elif any(True for _ in child.parameters()):
            parts.append(child)
    return parts


def whole_state_dict(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """``module.state_dict()`` with whole tensors. Sharded, it is gathered: every process must call it, and only
    rank 0 gets the tensors (the others an empty dict)."""
    if not is_sharded(module):
        return module.state_dict()
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    return get_model_state_dict(module, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
