"""Hand-written side-by-side cases (the `snippets` family): fixed programs,
not generated ones, recorded under PyTorch like the generated families.
Most set `R`; the program then observes `R` and its printed repr, so
PyTorch's printing is checked as well as its values."""

from . import (
    api_aliases,
    boilerplate,
    distributions,
    distributions_last,
    distributions_more,
    embedding_bag,
    forward_ad,
    func_transforms,
    fuzz_findings,
    graph_api,
    grid_sample,
    init_more,
    layers,
    layers_extra,
    layers_missing,
    linalg_grad,
    nn_optim_data,
    optim_linalg,
    parametrize,
    pooling,
    prune,
    rnn_utils,
    saved_tensor,
    scatter_reduce,
    second_order,
    slogdet,
    special_extra,
    special_polynomials,
    tensor_ops,
    testing,
)

OBSERVE_R = "rec(R, repr(R))"


def programs():
    """Every case as (name, steps), in a fixed order."""
    out = [(f"tensor {i}", [code, OBSERVE_R]) for i, code in enumerate(tensor_ops.SNIPPETS)]
    out += [(f"nn {i}", [code, OBSERVE_R]) for i, code in enumerate(nn_optim_data.SNIPPETS)]
    out.append(("training script", [nn_optim_data.TRAINING_SCRIPT.strip(), "rec(R)", "rec(RM)"]))
    out += optim_linalg.programs()
    out += layers.programs()
    out += [(f"tensor layout {i}", [code, OBSERVE_R]) for i, code in enumerate(tensor_ops.LAYOUT_SNIPPETS)]
    out += graph_api.programs()
    out += func_transforms.programs()
    out += forward_ad.programs()
    out += saved_tensor.programs()
    out += linalg_grad.programs()
    out += init_more.programs()
    out += api_aliases.programs()
    out += testing.programs()
    out += parametrize.programs()
    out += prune.programs()
    out += distributions.programs()
    out += rnn_utils.programs()
    out += grid_sample.programs()
    out += layers_extra.programs()
    out += embedding_bag.programs()
    out += special_extra.programs()
    out += linalg_grad.more_programs()
    out += scatter_reduce.programs()
    out += scatter_reduce.dirty_programs()
    out += boilerplate.programs()
    out += boilerplate.swa_programs()
    out += pooling.programs()
    out += slogdet.programs()
    out += layers_missing.programs()
    out += distributions_more.programs()
    out += grid_sample.programs_3d()
    out += second_order.programs()
    out += special_polynomials.programs()
    out += distributions_last.programs()
    out += fuzz_findings.programs()
    return out
