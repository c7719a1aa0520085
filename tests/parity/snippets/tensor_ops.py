"""Tensor ops side by side with PyTorch, one line each: a line sets `R`,
and the program observes `R` and its repr (converted from the snippets
that used to run only where torch was installed)."""

SNIPPETS = r"""
x = T.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = (x * x).sum(); y.backward(); R = x.grad
R = T.tensor([1, 2, 3]) / 2
R = T.tensor([1, 2, 3]) * 1.5
R = T.tensor([1.5, 2.5, -0.5]).round()
R = T.tensor([[1., -2.], [3., 4.]]).abs().max(0)
R = T.arange(10).reshape(2, 5)[:, ::2]
R = T.tensor([3., 1., 2.]).sort()
R = T.tensor([3., 1., 2.]).topk(2)
R = T.linspace(0, 1, 7)
R = T.tensor([1e-8, 1.0])
R = T.tensor([123456789.0, 1.0])
R = T.tensor([0.1, 0.25, 1000.5])
R = T.tensor([[1.0, 2.0, 3.0]]).T
R = T.zeros(2, 3, 4)
R = T.ones(3, dtype=T.float64) * 2.5
R = T.tensor([True, False]).sum()
R = T.tensor([1, 2]).float().mean()
R = T.tensor([[1., 2.], [3., 4.]]).var(0)
R = T.tensor([[1., 2.], [3., 4.]]).std()
R = T.tensor([[1., 2.], [3., 4.]]).norm(dim=1)
R = T.tensor([-1., 0., 2.]).sign()
R = T.tensor([-1., 0., 2.]).relu()
R = T.tensor([1., 2.]).softmax(0)
R = T.tensor([[1., 2.], [3., 4.]]).log_softmax(1)
R = T.tensor([1., 2., 3.]).cumsum(0)
R = T.tensor([[1, 2], [3, 4]]).prod()
R = T.tensor([2., 3.]) ** 2
R = 2 ** T.tensor([2., 3.])
R = T.tensor([5, 7]) // 2
R = T.tensor([-5, 7]) % 3
R = T.tensor([1., 2.]).clamp(min=1.5)
R = T.tensor([1., 2.]).where(T.tensor([True, False]), T.tensor(0.))
R = T.eye(3)[1]
R = T.tensor([[1., 2.], [3., 4.]]) @ T.tensor([1., 1.])
R = T.tensor([1., 2.]).dot(T.tensor([3., 4.]))
R = T.tensor([1., 2.]).outer(T.tensor([3., 4.]))
R = T.cat([T.ones(1, 2), T.zeros(1, 2)], 1)
R = T.stack([T.ones(2), T.zeros(2)], 1)
R = T.tensor([[1, 2], [3, 4]]).gather(1, T.tensor([[1], [0]]))
R = T.zeros(2, 3).scatter_(1, T.tensor([[2], [0]]), 5.)
R = T.tensor([1., 2., 3.]).masked_fill(T.tensor([True, False, True]), -1.)
R = T.tensor([1., 2., 3.]).index_select(0, T.tensor([2, 0]))
R = T.tensor([[1., 2.], [3., 4.]]).argmax(1)
R = T.tensor([[1., 2.], [3., 4.]]).max()
R = T.tensor([[1., 2.], [3., 4.]]).min(1, keepdim=True)
R = T.tensor([[1., 2.], [3., 4.]]).amax(dim=(0, 1))
R = T.tensor([1., 2.]).allclose(T.tensor([1., 2.]))
R = T.tensor([1., 2.]).equal(T.tensor([1., 2.]))
R = (T.tensor([1., 2.]) > 1).any()
R = T.tensor([[0, 1], [2, 0]]).nonzero()
R = T.tensor([1., 2.]).expand(3, 2)
R = T.tensor([1., 2., 3., 4.]).view(2, 2).t().contiguous().view(-1)
R = T.tensor([1., 2., 3., 4.]).chunk(3)
R = T.tensor([1., 2., 3., 4.]).split([1, 3])
R = T.tensor([1., 2., 3.]).flip(0)
R = T.tensor([[1., 2.]]).repeat(2, 2)
R = T.tensor([1., float('nan')]).isnan()
R = T.tensor(3.7).floor()
R = T.tensor([1., 4., 9.]).sqrt().rsqrt()
R = T.tensor([0.5]).sigmoid().tanh().exp().log()
R = T.nn.functional.gelu(T.tensor([-1., 0., 1.]))
R = T.nn.functional.silu(T.tensor([-1., 0., 1.]))
R = T.nn.functional.softplus(T.tensor([-1., 0., 1., 30.]))
R = T.nn.functional.leaky_relu(T.tensor([-1., 0., 1.]), 0.2)
R = T.nn.functional.mse_loss(T.tensor([1., 2.]), T.tensor([2., 4.]))
R = T.nn.functional.l1_loss(T.tensor([1., 2.]), T.tensor([2., 4.]), reduction='sum')
R = T.nn.functional.smooth_l1_loss(T.tensor([1., 2.]), T.tensor([2., 4.]))
R = T.nn.functional.binary_cross_entropy(T.tensor([0.2, 0.9]), T.tensor([0., 1.]))
R = T.nn.functional.binary_cross_entropy_with_logits(T.tensor([0.2, 0.9]), T.tensor([0., 1.]), pos_weight=T.tensor([2.0, 1.0]))
R = T.nn.functional.cross_entropy(T.tensor([[1., 2., 3.], [1., 0., 0.]]), T.tensor([2, 0]))
R = T.nn.functional.cross_entropy(T.tensor([[1., 2., 3.], [1., 0., 0.]]), T.tensor([2, -100]), reduction='none')
R = T.nn.functional.cross_entropy(T.tensor([[1., 2., 3.], [1., 0., 0.]]), T.tensor([2, 0]), label_smoothing=0.1)
R = T.nn.functional.cross_entropy(T.tensor([[1., 2., 3.], [1., 0., 0.]]), T.tensor([[0.2, 0.3, 0.5], [1., 0., 0.]]))
R = T.nn.functional.nll_loss(T.tensor([[-1., -2.], [-0.5, -3.]]), T.tensor([1, 0]))
R = T.nn.functional.linear(T.ones(2, 3), T.ones(4, 3), T.zeros(4))
R = T.nn.functional.softmax(T.tensor([[1., 2.], [3., 4.]]), dim=0)
x = T.ones(2, 2, requires_grad=True); R = (x + 2).grad_fn.next_functions[0][0].__class__.__name__ if False else repr((x*2).sum())
x = T.tensor([1., 2.], requires_grad=True); R = x.clamp(0, 1.5)
x = T.tensor([1., 2.], requires_grad=True); R = x[0]
x = T.tensor([1., 2.], requires_grad=True); R = x.view(2, 1)
x = T.tensor([1., 2.], requires_grad=True); R = x.unsqueeze(0)
x = T.tensor([1., 2.], requires_grad=True); R = x.expand(2, 2)
x = T.tensor([[1., 2.]], requires_grad=True); R = x.t()
x = T.tensor([[1., 2.]], requires_grad=True); R = x.transpose(0, 1)
x = T.tensor([[1., 2.]], requires_grad=True); R = x.permute(1, 0)
x = T.tensor([[1., 2.]], requires_grad=True); R = x.squeeze()
x = T.tensor([[1., 2.]], requires_grad=True); R = x.reshape(2)
x = T.tensor([1., 2.], requires_grad=True); R = x.exp()
x = T.tensor([1., 2.], requires_grad=True); R = x / 2
x = T.tensor([1., 2.], requires_grad=True); R = 2 / x
x = T.tensor([1., 2.], requires_grad=True); R = 2 - x
x = T.tensor([1., 2.], requires_grad=True); R = -x
x = T.tensor([1., 2.], requires_grad=True); R = x.sum(0)
x = T.tensor([1., 2.], requires_grad=True); R = x.mean(0)
x = T.tensor([1., 2.], requires_grad=True); R = x.max()
x = T.tensor([1., 2.], requires_grad=True); R = x.norm()
x = T.tensor([1., 2.], requires_grad=True); R = x.var()
x = T.tensor([1., 2.], requires_grad=True); R = x.logsumexp(0)
x = T.tensor([1., 2.], requires_grad=True); R = x.cumsum(0)
x = T.tensor([1., 2.], requires_grad=True); R = x.softmax(0)
x = T.tensor([1., 2.], requires_grad=True); R = x.sigmoid()
x = T.tensor([1., 2.], requires_grad=True); R = x.tanh()
x = T.tensor([1., 2.], requires_grad=True); R = x.relu()
x = T.tensor([1., 2.], requires_grad=True); R = x.abs()
x = T.tensor([1., 2.], requires_grad=True); R = x.pow(T.tensor([2., 2.]))
x = T.tensor([1., 2.], requires_grad=True); R = T.cat([x, x])
x = T.tensor([1., 2.], requires_grad=True); R = T.stack([x, x])
x = T.tensor([1., 2.], requires_grad=True); R = x.float()
x = T.tensor([1., 2.], requires_grad=True); R = x.double()
x = T.tensor([1., 2.], requires_grad=True); R = x.clone()
x = T.tensor([1., 2.], requires_grad=True); R = x[[0]]
x = T.tensor([1., 2.], requires_grad=True); R = x.masked_fill(x > 1, 0.)
x = T.tensor([1., 2.], requires_grad=True); R = T.where(x > 1, x, T.zeros(2))
x = T.tensor([1., 2.], requires_grad=True); R = x.gather(0, T.tensor([1]))
x = T.tensor([[1., 2.]], requires_grad=True); R = x @ x.t()
x = T.tensor([1., 2.], requires_grad=True); R = x.dot(x)
x = T.tensor([[1., 2.]], requires_grad=True); R = T.matmul(x.t(), x)
x = T.tensor([1., 2.], requires_grad=True); R = T.maximum(x, T.tensor([1.5, 1.5]))
x = T.tensor([1., 2.], requires_grad=True); R = x.prod()
x = T.tensor([1., 2.], requires_grad=True); R = x.std()
x = T.tensor([1., 2.], requires_grad=True); R = x.min(0)
x = T.tensor([1., 2.], requires_grad=True); R = x.amax(0)
x = T.tensor([1., 2.], requires_grad=True); R = x.flip(0)
x = T.tensor([1., 2.], requires_grad=True); R = x.repeat(2)
x = T.tensor([1., 2.], requires_grad=True); R = x.narrow(0, 0, 1)
x = T.tensor([1., 2.], requires_grad=True); R = x.split(1)
x = T.tensor([1., 2.], requires_grad=True); R = x.to(T.float64)
x = T.tensor([1., 2.], requires_grad=True); R = x.sqrt()
x = T.tensor([1., 2.], requires_grad=True); R = x.log()
x = T.tensor([1., 2.], requires_grad=True); R = x.square()
x = T.tensor([1., 2.], requires_grad=True); R = x + x
x = T.tensor([1., 2.], requires_grad=True); R = x - 1
x = T.tensor([1., 2.], requires_grad=True); R = x.flatten()
x = T.tensor([1., 2.], requires_grad=True); R = x.sin().cos()
x = T.tensor([1., 2.], requires_grad=True); R = x.atan2(x)
x = T.tensor([1., 2.], requires_grad=True); R = x * x
x = T.tensor([1., 2.], requires_grad=True); R = x.mul(2).add(1).div(3).sub(1)
R = T.arange(8).reshape(2, 2, 2)
R = T.arange(8.).reshape(2, 2, 2) / 3
R = T.tensor([-0.0, 0.0])
R = T.tensor([1e20, -1e-20, 0.])
R = T.tensor([[1e-3, 1.0], [10., 100.]])
R = T.tensor([2 ** 40, -3])
R = T.tensor([0.001, 0.01])
R = T.tensor([100000., 1.])
R = T.tensor([1234.5678])
R = T.tensor([-1.0, float('-inf')])
R = T.tensor([[float('nan')]])
R = T.ones(4, 300)
R = T.arange(100)
R = T.arange(1001)
R = T.zeros(3, 0, 2)
R = T.tensor([[True, False], [False, True]])
R = T.tensor(7)
R = T.tensor(True)
R = T.tensor(-2.5, dtype=T.float64)
R = T.tensor([1.5], dtype=T.float64, requires_grad=True)
R = T.tensor([0.123456789], dtype=T.float64)
R = T.arange(6.).reshape(2, 3).t()
R = T.ones(2, 3)[:, None, :]
R = T.ones(2) + T.ones(3)
R = T.ones(2, 3) @ T.ones(2, 3)
R = T.ones(3).view(2, 2)
R = T.ones(2, 2).sum(3)
R = T.ones(2)[3]
R = T.ones(2, 2)[:, 3]
R = T.tensor([1, 2], dtype=T.float32).long() + 0.5
R = T.ones(2).backward()
R = T.tensor([1, 2]).requires_grad_()
R = T.cat([T.ones(2, 2), T.ones(3, 3)])
R = T.stack([T.ones(2), T.ones(3)])
R = T.ones(2, 3).permute(0, 2)
R = T.ones(2, 3).transpose(0, 5)
R = T.ones(2, 3).expand(3, 3)
R = T.ones(2, 3).squeeze(5)
R = T.ones(2, 3).mean(dtype=T.float64)
R = T.tensor([1, 2]).mean()
R = T.ones(2, 2).bmm(T.ones(2, 2))
R = T.ones(3).dot(T.ones(2))
R = T.ones(2, 3).mv(T.ones(2))
R = T.ones(2, 3).matmul(T.ones(2))
R = T.zeros(2).item()
R = T.ones(2, 3).narrow(1, 2, 5)
R = T.ones(3).gather(0, T.tensor([3]))
R = T.ones(3).index_select(0, T.tensor([5]))
R = T.nn.functional.cross_entropy(T.ones(2, 3), T.tensor([0, 3]))
R = T.nn.functional.mse_loss(T.ones(2), T.ones(2, 2))
R = T.tensor([[1, 2], [3]])
R = T.tensor([1.5]).to("cpu")
R = T.ones(2).numpy()
R = T.ones(2, requires_grad=True).numpy()
R = T.ones(2, requires_grad=True).tolist()
R = float(T.ones(2))
R = T.ones(2).view(-1, -1)
R = T.ones(4).reshape(3, -1)
R = T.tensor([1.0]).exp_()
R = (T.ones(2, requires_grad=True) * 2).sum().backward() or 1
R = T.ones(2).max(dim=1)
R = T.ones(2, 3).softmax(dim=2)
x = T.tensor([1., -2., 3.], requires_grad=True); (x.abs() * x.sign()).sum().backward(); R = x.grad
x = T.tensor([0., 1., 2.], requires_grad=True); x.relu().sum().backward(); R = x.grad
x = T.tensor([1., 1., 2.], requires_grad=True); x.max().backward(); R = x.grad
x = T.tensor([1., 2., 2.], requires_grad=True); x.amax(0).backward(); R = x.grad
x = T.tensor([[1., 5.], [5., 1.]], requires_grad=True); x.max(1).values.sum().backward(); R = x.grad
x = T.tensor([1., 2.], requires_grad=True); T.maximum(x, T.tensor([1., 1.])).sum().backward(); R = x.grad
x = T.tensor([0.5, 2.], requires_grad=True); x.clamp(0, 1).sum().backward(); R = x.grad
x = T.tensor([1., 2., 3.], requires_grad=True); x.prod().backward(); R = x.grad
x = T.tensor([1., 2., 3.], requires_grad=True); x.var().backward(); R = x.grad
x = T.tensor([1., 2., 3.], requires_grad=True); x.std().backward(); R = x.grad
x = T.tensor([1., 2., 3.], requires_grad=True); x.logsumexp(0).backward(); R = x.grad
x = T.tensor([1., 2., 3.], requires_grad=True); x.softmax(0)[0].backward(); R = x.grad
x = T.tensor([1., 2., 3.], requires_grad=True); x.log_softmax(0)[1].backward(); R = x.grad
x = T.tensor([1., 2., 3.], requires_grad=True); x.cumsum(0).sum().backward(); R = x.grad
x = T.tensor([[1., 2.], [3., 4.]], requires_grad=True); (x @ x).sum().backward(); R = x.grad
x = T.tensor([[1., 2.], [3., 4.]], requires_grad=True); x.t().reshape(-1)[1].backward(); R = x.grad
x = T.tensor([[1., 2.], [3., 4.]], requires_grad=True); x[x > 2].sum().backward(); R = x.grad
x = T.tensor([[1., 2.], [3., 4.]], requires_grad=True); x[[0, 0, 1]].sum().backward(); R = x.grad
x = T.tensor([[1., 2.], [3., 4.]], requires_grad=True); x.gather(1, T.tensor([[1, 1], [0, 1]])).sum().backward(); R = x.grad
x = T.tensor([1., 2.], requires_grad=True); y = x * 2; y.retain_grad(); (y ** 2).sum().backward(); R = (x.grad, y.grad)
x = T.tensor([1., 2.], requires_grad=True); g, = T.autograd.grad((x ** 3).sum(), x, create_graph=True); R = g
x = T.tensor([1., 2.], requires_grad=True); g, = T.autograd.grad((x ** 3).sum(), x, create_graph=True); g.sum().backward(); R = x.grad
x = T.tensor([1., 2.], requires_grad=True); R = T.autograd.grad(x.exp().sum(), [x])
x = T.tensor(2., requires_grad=True); y = x ** 2; y.backward(retain_graph=True); y.backward(); R = x.grad
x = T.tensor([1., 2.], requires_grad=True); y = T.tensor([3., 4.], requires_grad=True); (x * y).sum().backward(); R = (x.grad, y.grad)
x = T.tensor([1., 2.], requires_grad=True); T.nn.functional.cross_entropy(x.unsqueeze(0), T.tensor([1])).backward(); R = x.grad
x = T.tensor([[1., 2.], [0., 1.]], requires_grad=True); T.nn.functional.binary_cross_entropy_with_logits(x, T.ones(2, 2)).backward(); R = x.grad
x = T.tensor([0.3, 0.8], requires_grad=True); T.nn.functional.binary_cross_entropy(x, T.tensor([0., 1.])).backward(); R = x.grad
x = T.tensor([1., -2.], requires_grad=True); T.nn.functional.smooth_l1_loss(x, T.zeros(2)).backward(); R = x.grad
x = T.tensor([1., -2.], requires_grad=True); T.nn.functional.l1_loss(x, T.zeros(2)).backward(); R = x.grad
x = T.tensor([-1., 0.5, 2.], requires_grad=True); T.nn.functional.gelu(x).sum().backward(); R = x.grad
x = T.tensor([-1., 0.5, 2.], requires_grad=True); T.nn.functional.silu(x).sum().backward(); R = x.grad
x = T.tensor([-1., 0.5, 2.], requires_grad=True); T.nn.functional.softplus(x).sum().backward(); R = x.grad
x = T.tensor([-1., 0.5, 2.], requires_grad=True); T.nn.functional.leaky_relu(x).sum().backward(); R = x.grad
x = T.tensor([-1., 0.5, 2.], requires_grad=True); x.sigmoid().tanh().sum().backward(); R = x.grad
x = T.tensor([1., 4.], requires_grad=True); x.sqrt().rsqrt().sum().backward(); R = x.grad
x = T.tensor([1., 4.], requires_grad=True); (1 / x).sum().backward(); R = x.grad
x = T.tensor([1., 4.], requires_grad=True); (2 ** x).sum().backward(); R = x.grad
x = T.tensor([1., 4.], requires_grad=True); (x ** x).sum().backward(); R = x.grad
x = T.tensor([1., 4.], requires_grad=True); T.atan2(x, T.tensor([1., 1.])).sum().backward(); R = x.grad
x = T.tensor([1., 4.], requires_grad=True); (x % 3).sum().backward(); R = x.grad
x = T.tensor([1., 4.], requires_grad=True); T.where(x > 2, x ** 2, x).sum().backward(); R = x.grad
x = T.tensor([1., 4.], requires_grad=True); T.stack([x, x * 2]).sum().backward(); R = x.grad
x = T.tensor([1., 4.], requires_grad=True); T.cat([x, x * 2]).sum().backward(); R = x.grad
x = T.tensor([1., 4.], requires_grad=True); x.expand(3, 2).sum().backward(); R = x.grad
x = T.tensor([1., 4.], requires_grad=True); x.repeat(3).sum().backward(); R = x.grad
x = T.tensor([1., 4.], requires_grad=True); x.flip(0)[0].backward(); R = x.grad
x = T.tensor([1., 4.], requires_grad=True); x.masked_fill(x > 2, 0.).sum().backward(); R = x.grad
x = T.tensor([1., 4.], requires_grad=True); y = x.double(); (y * y).sum().backward(); R = x.grad
x = T.tensor([1., 4.], requires_grad=True); x.register_hook(lambda g: g * 2); (x * 3).sum().backward(); R = x.grad
x = T.tensor([1., 4.], requires_grad=True); y = x * 2; y.register_hook(lambda g: g + 1); y.sum().backward(); R = x.grad
x = T.ones(2, 3, requires_grad=True); x.mean(dim=0).sum().backward(); R = x.grad
x = T.ones(2, 3, requires_grad=True); x.sum(dim=1, keepdim=True).sum().backward(); R = x.grad
x = T.ones(2, 3, requires_grad=True); (x.norm(dim=1)).sum().backward(); R = x.grad
x = T.ones(2, 3, requires_grad=True); x.view(3, 2).t().sum().backward(); R = x.grad
x = T.ones(3, requires_grad=True); y = x * 2; y[0] = 10; y.sum().backward(); R = x.grad
x = T.ones(3, requires_grad=True); y = x.clone(); y[1:] *= 3; y.sum().backward(); R = x.grad
R = T.tensor([1, 2, 3]) > 1.5
R = T.tensor([True, False]) * 2
R = T.tensor([True, False]) + T.tensor([True, True])
R = T.tensor([1, 2]) * T.tensor([1.5, 2.5], dtype=T.float64)
R = T.tensor([1, 2]).sum(dtype=T.float32)
R = T.tensor([1., 2.]).mean(dtype=T.float64)
R = T.tensor([3, 1, 2]).max()
R = T.tensor([3, 1, 2]).argmax()
R = T.tensor([[3, 1], [2, 5]]).min(0)
R = T.tensor([1, 2, 3]).cumsum(0)
R = T.tensor([True, False, True]).cumsum(0)
R = T.tensor([1, 2, 3]) ** 2
R = T.tensor([1, 2, 3]) ** 0.5
R = T.tensor([4, 9]).sqrt()
R = T.tensor([1, -2]).abs()
R = -T.tensor([1, -2])
R = T.tensor([1, 2]).float() / T.tensor([3, 3])
R = T.tensor([7, -7]) // T.tensor([2, 2])
R = T.tensor([7., -7.]) // 2
R = T.tensor([7., -7.]) % -3
R = T.tensor([5, 3]).clamp(max=4)
R = T.tensor([5., 3.]).clamp(min=T.tensor([6., 1.]))
R = T.arange(5)[T.tensor([True, False, True, False, True])]
R = T.arange(12).reshape(3, 4)[1:, [0, 2]]
R = T.arange(12).reshape(3, 4)[[2, 0]][:, 1]
R = T.arange(24).reshape(2, 3, 4)[:, [0, 2], 1]
R = T.arange(24).reshape(2, 3, 4)[[0, 1], :, [1, 2]]
R = T.arange(24).reshape(2, 3, 4)[..., [3]]
R = T.arange(6).reshape(2, 3)[T.tensor([[True, False, True], [False, True, False]])]
x = T.zeros(2, 3); x[:, 1] = 5; R = x
x = T.zeros(2, 3); x[1] = T.tensor([1., 2., 3.]); R = x
x = T.zeros(2, 3); x[x == 0] = 2.; R = x
x = T.zeros(5); x[[0, 2]] = T.tensor([7., 8.]); R = x
x = T.zeros(5); x[1:4:2] = 3; R = x
x = T.arange(6.).reshape(2, 3); x[..., -1] = -1; R = x
x = T.zeros(3); x += 2; x *= T.tensor([1., 2., 3.]); R = x
x = T.ones(2, 2); x.add_(T.ones(2), alpha=3); R = x
x = T.ones(3); x.mul_(2).add_(1); R = x
x = T.arange(4.); x.clamp_(1, 2); R = x
x = T.arange(4.); x.zero_(); R = x
x = T.arange(4.); x.fill_(3); R = x
x = T.arange(4.); y = x.view(2, 2); y[0, 0] = 10; R = x
x = T.arange(4.); y = x[1:3]; y.add_(100); R = x
R = T.tensor([[1, 2], [3, 4]]).T.contiguous().stride()
R = T.tensor([[1, 2], [3, 4]]).t().is_contiguous()
R = T.ones(2, 3, 4).transpose(0, 2).shape
R = T.ones(2, 1, 3).squeeze(1).shape
R = T.ones(2, 3).unsqueeze(-1).shape
R = T.ones(2, 3).flatten().shape
R = T.ones(2, 3, 4).flatten(1, 2).shape
R = T.ones(4).reshape(2, -1).shape
R = T.zeros(2, 3).new_ones(2)
R = T.zeros(2, 3, dtype=T.float64).new_tensor([1, 2])
R = T.zeros(2, 3).numel()
R = T.zeros(2, 3).dim()
R = T.zeros(2, 3).size(1)
R = T.zeros(2, 3).element_size()
R = T.tensor([1.5, 2.5]).tolist()
R = T.tensor(3).item()
R = T.tensor([[1]]).item()
R = T.tensor([0.1, 0.2]).sum().item()
R = list(T.arange(3))
R = len(T.zeros(4, 2))
R = T.eye(2).bool()
R = T.tensor([1, 0, 2]).bool()
R = T.tensor([1.7, -1.7]).long().float()
R = T.full((2, 2), 3.5)
R = T.full((2,), True)
R = T.arange(0, 1, 0.3)
R = T.arange(5, 0, -2)
R = T.linspace(0, 10, steps=3)
R = T.zeros(3).uniform_().shape
R = T.where(T.tensor([True, False]), T.tensor([1, 2]), T.tensor([3., 4.]))
R = T.cat([T.tensor([1, 2]), T.tensor([3.])])
R = T.tensor([[1., 2.], [3., 4.]]).sum(0, keepdim=True)
R = T.tensor([[1., 2.], [3., 4.]]).mean((0, 1))
R = T.tensor([[1., 2.], [3., 4.]]).std(dim=1, unbiased=False)
R = T.tensor([[1., 2.], [3., 4.]]).var(1, keepdim=True)
R = T.tensor([[1., 2.], [3., 4.]]).norm(p=1)
R = T.tensor([[1., 2.], [3., 4.]]).norm(dim=0, p=float('inf'))
R = T.tensor([[1., 2.], [3., 4.]]).logsumexp(dim=1, keepdim=True)
R = T.tensor([1., 2., 3.]).allclose(T.tensor([1., 2., 3.0001]), atol=1e-3)
R = T.tensor([1., 2.]).isclose(T.tensor([1., 2.1]))
R = T.tensor([[1, 2], [3, 4]]).any(dim=1)
R = T.tensor([[True, True], [False, True]]).all(0)
R = T.tensor([0.5, 1., 8.]).log2()
R = T.log10(T.tensor([1, 10, 1000]))
R = T.tensor([-1., 0., 3.]).exp2()
x = T.tensor([-1., 0.5, 2.], requires_grad=True); R = (x.sinh() + x.cosh()).sum(); R.backward(); R = x.grad
x = T.tensor([-0.5, 0., 0.9], requires_grad=True); R = T.asin(x) + T.acos(x) * 2 + T.atan(x); R
R = T.tensor([-2., 0.3, 4.]).asinh()
R = T.tensor([1., 2., 4.]).acosh()
R = T.tensor([-0.5, 0., 0.7]).atanh()
R = T.arctan(T.tensor([1., -1.]))
R = T.tensor([-7.5, 7.5, -7., 7.]).fmod(2)
R = T.fmod(T.tensor([-7, 7, 5]), 3)
R = T.tensor([-2.7, 2.7]).frac()
R = T.hypot(T.tensor([3., 5.]), T.tensor([4., 12.]))
R = T.logaddexp(T.tensor([0., -1000., float('-inf')]), T.tensor([0., -1000., float('-inf')]))
R = T.logaddexp2(T.tensor([1., 2.]), T.tensor([1., 0.]))
R = T.xlogy(T.tensor([0., 2., 0.]), T.tensor([0., 3., float('nan')]))
R = T.tensor([0.25, 0.5]).logit()
R = T.tensor([0., 0.25, 1.]).logit(eps=1e-3)
R = T.heaviside(T.tensor([-1.5, 0., 2.]), T.tensor([0.5]))
R = T.copysign(T.tensor([1., -2., 3.]), T.tensor([-1., 1., -0.]))
R = T.signbit(T.tensor([-0., 0., -3., 3.]))
R = T.sinc(T.tensor([0., 0.5, 1.]))
R = T.float_power(T.tensor([2., 3.]), 2)
R = T.deg2rad(T.tensor([180., 90.]))
R = T.addcmul(T.ones(2), T.tensor([1., 2.]), T.tensor([3., 4.]), value=0.5)
R = T.addcdiv(T.ones(2), T.tensor([1., 2.]), T.tensor([4., 8.]), value=2)
x = T.ones(2); x.addcmul_(T.tensor([1., 2.]), T.tensor([3., 4.])); R = x
R = T.nansum(T.tensor([1., float('nan'), 2.]))
R = T.tensor([[1., float('nan')], [3., 4.]]).nanmean(0)
R = T.std_mean(T.tensor([[1., 2.], [3., 5.]]), dim=1)
R = T.addmm(T.ones(2, 2), T.tensor([[1., 2.], [3., 4.]]), T.eye(2), beta=0.5, alpha=2)
R = T.addmv(T.ones(2), T.tensor([[1., 2.], [3., 4.]]), T.tensor([1., -1.]))
R = T.baddbmm(T.zeros(1, 2, 2), T.ones(1, 2, 3), T.ones(1, 3, 2))
R = T.addbmm(T.zeros(2, 2), T.ones(2, 2, 3), T.ones(2, 3, 2))
R = T.addr(T.zeros(2, 3), T.tensor([1., 2.]), T.tensor([1., 0., -1.]))
R = T.arange(9.).reshape(3, 3).trace()
R = T.arange(12.).reshape(3, 4).diagonal(offset=1)
R = T.arange(12.).reshape(3, 4).diagonal(-1)
R = T.diag_embed(T.tensor([[1., 2.], [3., 4.]]))
R = T.kron(T.tensor([[1., 2.], [3., 4.]]), T.tensor([[0., 1.], [1., 0.]]))
R = T.cross(T.tensor([[1., 0., 0.]]), T.tensor([[0., 1., 0.]]), dim=1)
R = T.tensordot(T.arange(6.).reshape(2, 3), T.arange(6.).reshape(3, 2), dims=1)
R = T.einsum('ij,jk->ik', T.arange(6.).reshape(2, 3), T.arange(6.).reshape(3, 2))
R = T.einsum('ii', T.arange(9.).reshape(3, 3))
R = T.einsum('i,j->ij', T.tensor([1., 2.]), T.tensor([3., 4., 5.]))
R = T.einsum('bij->bji', T.arange(8.).reshape(2, 2, 2))
R = T.einsum('...ij,...jk', T.ones(2, 2, 3), T.ones(3, 4))
R = T.cdist(T.tensor([[0., 0.], [3., 4.]]), T.tensor([[0., 0.]]))
R = T.block_diag(T.ones(2, 2), T.tensor([[5.]]))
R = T.arange(6).reshape(2, 3).roll(1, 1)
R = T.roll(T.arange(6).reshape(2, 3), shifts=(1, 1), dims=(0, 1))
R = T.roll(T.arange(5), -2)
R = T.tensor([[1, 2], [3, 4]]).repeat_interleave(2)
R = T.tensor([[1, 2], [3, 4]]).repeat_interleave(T.tensor([1, 2]), dim=0)
R = T.repeat_interleave(T.tensor([2, 1]))
R = T.tensor([1, 3, 6, 10]).diff()
R = T.tensor([[1., 3.], [6., 10.]]).diff(dim=0)
R = T.arange(6).reshape(2, 3).rot90()
R = T.arange(6).reshape(2, 3).fliplr()
R = T.arange(6).reshape(2, 3).flipud()
R = T.broadcast_to(T.tensor([1, 2]), (2, 2))
R = T.take(T.tensor([[4, 5], [6, 7]]), T.tensor([0, 3]))
R = T.take_along_dim(T.tensor([[10, 30, 20]]), T.tensor([[2, 0]]), dim=1)
R = T.argwhere(T.tensor([[0, 1], [2, 0]]))
R = T.zeros(3).index_put((T.tensor([0, 0]),), T.tensor([1., 2.]), accumulate=True)
x = T.zeros(2, 2); x.index_put_((T.tensor([1]), T.tensor([0])), T.tensor(5.)); R = x
R = T.zeros(2, 3).index_copy(1, T.tensor([2, 0]), T.tensor([[1., 2.], [3., 4.]]))
R = T.zeros(2, 2).masked_scatter(T.tensor([[True, False], [True, True]]), T.tensor([1., 2., 3., 4.]))
x = T.zeros(3, 3); x.fill_diagonal_(7.); R = x
x = T.zeros(3); x.index_add_(0, T.tensor([0, 0]), T.tensor([1., 2.])); R = x
x = T.arange(4.).reshape(2, 2); x.tril_(); R = x
R = T.meshgrid(T.tensor([1, 2]), T.tensor([3, 4, 5]), indexing='ij')
R = T.meshgrid(T.tensor([1, 2]), T.tensor([3, 4, 5]), indexing='xy')
R = T.cartesian_prod(T.tensor([1, 2]), T.tensor([3, 4]))
R = T.atleast_2d(T.tensor(1.))
R = T.dstack([T.tensor([1, 2]), T.tensor([3, 4])])
R = T.column_stack([T.tensor([1, 2]), T.tensor([3, 4])])
R = T.tensor([[1., 3., 3., 1., 2.], [5., 5., 4., 4., 0.]]).median(1)
R = T.tensor([[1., 3., 3., 1., 2.], [5., 5., 4., 4., 0.]]).median()
R = T.tensor([1., float('nan'), 0.]).median()
R = T.tensor([1., float('nan'), 0.]).nanmedian()
R = T.tensor([[1., 3., 3., 1., 2.], [5., 5., 4., 4., 0.]]).mode(1)
R = T.tensor([3., 1., 2., 5.]).kthvalue(2)
R = T.tensor([[0., 1., 2., 3.], [4., 5., 6., 7.]]).quantile(0.4, dim=1)
R = T.quantile(T.tensor([0., 1., 2., 3.]), T.tensor([0.25, 0.5]))
R = T.quantile(T.tensor([0., 1., 2., 3.]), 0.5, interpolation='lower')
R = T.nanquantile(T.tensor([0., float('nan'), 2., 3.]), 0.5)
R = T.tensor([[3., 1.], [2., 0.]]).msort()
R = T.unique(T.tensor([3, 1, 3, 2]), return_inverse=True, return_counts=True)
R = T.tensor([1, 1, 2, 2, 3, 1]).unique_consecutive()
R = T.bincount(T.tensor([0, 2, 2]), minlength=4)
R = T.histc(T.tensor([1., 2., 1., 4.]), bins=4, min=0, max=4)
R = T.searchsorted(T.tensor([1, 3, 5, 7]), T.tensor([3, 6, 9]))
R = T.bucketize(T.tensor([3, 6, 9]), T.tensor([1, 3, 5, 7]))
R = T.tensor([1., 3., 3., 2., 3.]).cummax(0)
R = T.tensor([3., 1., 1., 2.]).cummin(0)
R = T.tensor([1., 2., 3., 4.]).cumprod(0)
x = T.tensor([1., 2., 0., 4.], requires_grad=True); x.cumprod(0).sum().backward(); R = x.grad
R = T.logcumsumexp(T.tensor([0., 1., 2.]), 0)
R = T.aminmax(T.tensor([[1., 5.], [-2., 3.]]))
R = T.aminmax(T.tensor([[1., 5.], [-2., 3.]]), dim=0)
R = T.tensor([1., 2.]).new_tensor([3, 4])
R = T.broadcast_shapes((2, 1), (1, 3))
R = T.exp(T.tensor([-1000., -100., -88.]))
R = T.tensor([[3., 1., 2., float('nan'), 1.], [5., -1., 5., 0., 2.]]).sort(1, descending=True)
R = T.tensor([3., float('nan'), 2., float('nan')]).sort()
R = T.tensor([[3., 1., float('nan')], [1., 1., 0.]]).topk(2)
R = T.tensor([True, False, True]).sort(descending=True)
R = T.tensor([3, 1, 2, 1]).argsort(descending=True)
x = T.tensor([0.5, -1.5, 2.0]); T.sin_(x); R = x
x = T.tensor([0.5, -1.5, 2.0]); R = (T.exp_(x), x)
x = T.tensor([-0.5, 1.5]); R = (T.nn.functional.elu_(x), x)
x = T.tensor([-0.5, 1.5]); T.nn.functional.leaky_relu_(x, 0.2); R = x
x = T.tensor([-0.5, 1.5, 3.0]); T.nn.functional.hardtanh_(x, -1.0, 2.0); R = x
x = T.tensor([-0.5, 1.5]); R = (T.relu_(x) is x, x)
x = T.tensor([-0.5, 1.5]); T.selu_(x); R = x
x = T.tensor([-0.5, 1.5]); T.celu_(x, 0.5); R = x
x = T.tensor([-0.5, 1.5]); T.threshold_(x, 1.0, -3.0); R = x
x = T.tensor([0.2, 0.8]); x.arcsin_(); R = x
x = T.tensor([-1.5, 2.5]); x.fix_(); R = x
x = T.tensor([0.2, 0.8]); x.clamp_min_(0.5); R = x
x = T.tensor([0.2, 0.8]); T.clamp_max_(x, 0.5); R = x
x = T.tensor([float('nan'), float('inf'), 1.0]); x.nan_to_num_(0.0, 5.0); R = x
R = (T.dropout(T.ones(4), 0.5, False), T.feature_alpha_dropout(T.ones(2, 3), 0.5, False))
x = T.tensor([1.0, 2.0], requires_grad=True); y = x * 2; T.sin_(y); y.sum().backward(); R = (x.grad, y.grad_fn.name())
x = T.tensor([1.0, 2.0], requires_grad=True); y = x * 2; T.nn.functional.elu_(y, 0.5); (y * y).sum().backward(); R = (x.grad, y.grad_fn.name())
R = T.linspace(-3, 3, 40) ** 4
R = T.linspace(0, 3, 40) ** 2.5
R = T.linspace(-3, 3, 40).add(T.linspace(1, 2, 40), alpha=0.37)
x = T.linspace(-3, 3, 40, requires_grad=True); (x ** 5).sum().backward(); R = x.grad
x = T.ones(2, requires_grad=True); y = x.sin() * 2; R = (y.grad_fn is y.grad_fn, y.grad_fn.next_functions[0][0] is y.grad_fn.next_functions[0][0], len({y.grad_fn, y.grad_fn}))
T.manual_seed(0); inp = T.randn(1, 2, 5, 5, dtype=T.float64); w = T.randn(3, 2, 3, 3, dtype=T.float64); go = T.randn(1, 3, 2, 2, dtype=T.float64); R = (T.nn.grad.conv2d_input(inp.shape, w, go, stride=2), T.nn.grad.conv2d_weight(inp, w.shape, go, stride=2))
T.manual_seed(0); inp = T.randn(2, 4, 9); w = T.randn(6, 2, 3); go = T.randn(2, 6, 5); R = (T.nn.grad.conv1d_input(inp.shape, w, go, padding=1, dilation=3, groups=2), T.nn.grad.conv1d_weight(inp, w.shape, go, padding=1, dilation=3, groups=2))
""".strip().splitlines()

# Strides of the *_like factories (PyTorch's preserve_format: a dense
# input's strides, else its stride order) and their draws in memory order.
# (Listed after every other snippet: known failures are keyed by position.)
LAYOUT_SNIPPETS = r"""
x = T.arange(0., 24.).reshape(4, 6).t(); R = [f(x).stride() for f in (T.ones_like, T.zeros_like, T.empty_like, T.rand_like, T.randn_like)]
x = T.zeros(2, 3, 4, 5).permute(0, 2, 3, 1); R = (T.ones_like(x).stride(), T.full_like(x, 2.).stride(), T.ones_like(x, memory_format=T.contiguous_format).stride())
R = [T.ones_like(x).stride() for x in (T.zeros(4, 6)[:, ::2], T.zeros(4, 1, 3).expand(4, 5, 3), T.zeros(4, 1, 3).expand(4, 5, 3).transpose(0, 2), T.zeros(5, 4).t()[1:], T.zeros(3, 1, 4).transpose(0, 2), T.zeros(6, 5, 4)[:, 1:4].transpose(0, 2))]
x = T.zeros(30, 20).t(); T.manual_seed(0); R = (T.rand_like(x), T.randn_like(x), T.randint_like(x, 10), T.randint_like(x, 3, 9).stride())
x = T.zeros(2, 3, 4, 4); T.manual_seed(1); R = (T.rand_like(x, memory_format=T.channels_last), T.randn_like(x, memory_format=T.channels_last).stride(), T.randn_like(x.permute(0, 2, 3, 1)))
x = T.zeros(3, 4).t(); T.manual_seed(2); R = (T.randn_like(x), T.randn_like(x, dtype=T.float64))
b = T.randn(6, 5); ps = [T.nn.Parameter(b.t()), T.nn.Parameter(b[:, ::2].t()), T.nn.Parameter(T.randn(2, 3, 4, 5).permute(0, 2, 3, 1))]; [(p * p).sum().backward() for p in ps]; R = [p.grad.stride() for p in ps]
T.manual_seed(0); p = T.nn.Parameter(T.randn(6, 5).t()); q = T.nn.Parameter(T.randn(6, 5)[:, ::2].t()); opt = T.optim.SGD([p, q], lr=0.1, momentum=0.9); [(opt.zero_grad(), ((p * p).sum() + q.sin().sum()).backward(), opt.step()) for _ in range(2)]; R = (p, q, opt.state[p]["momentum_buffer"].stride(), opt.state[q]["momentum_buffer"].stride())
T.manual_seed(0); p = T.nn.Parameter(T.randn(6, 5).t()); q = T.nn.Parameter(T.randn(6, 5)[:, ::2].t()); opt = T.optim.Adam([p, q], lr=0.1); [(opt.zero_grad(), ((p * p).sum() + q.sin().sum()).backward(), opt.step()) for _ in range(2)]; R = (p, q, opt.state[p]["exp_avg"].stride(), opt.state[q]["exp_avg_sq"].stride())
""".strip().splitlines()
