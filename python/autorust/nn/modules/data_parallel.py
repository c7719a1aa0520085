"""``DataParallel``: PyTorch's single-process replication across CUDA
devices. autorust has one device per process, so the wrapper runs the
module as it is, which is what PyTorch's does where no CUDA device is
available; asking for several devices raises instead of running on one."""

from .module import Module


class DataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if device_ids is not None and len(device_ids) > 1:
            raise NotImplementedError(
                f"autorust: DataParallel over several devices {list(device_ids)} is not supported: one process drives one device; "
                "use one process per device (torch.distributed)"
            )
        self.module = module
        self.device_ids = list(device_ids) if device_ids else []
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
