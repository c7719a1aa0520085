"""interpolate's index and weight arithmetic as PyTorch's CPU kernels:
nearest and nearest-exact in float32 (floor((dst + 0.5) * s) for
nearest-exact: the form with round() put 4.5 to 4 where PyTorch reads 5),
bicubic (cubic convolution, A = -0.75), area (adaptive average pooling),
and grouped-query attention. Expected values printed by PyTorch 2.15."""

import pytest

import autorust as torch
import autorust.nn.functional as F

X = torch.arange(42.0).reshape(1, 1, 7, 6)
XS = torch.arange(12.0).reshape(1, 1, 3, 4) ** 1.5


def test_nearest_modes_with_a_fractional_scale():
    got = F.interpolate(X, scale_factor=0.7, mode="nearest-exact").flatten().tolist()
    assert got == [0.0, 2.0, 3.0, 5.0, 12.0, 14.0, 15.0, 17.0, 18.0, 20.0, 21.0, 23.0, 30.0, 32.0, 33.0, 35.0]
    got = F.interpolate(X, scale_factor=0.7, mode="nearest").flatten().tolist()
    assert got == [0.0, 1.0, 2.0, 4.0, 6.0, 7.0, 8.0, 10.0, 12.0, 13.0, 14.0, 16.0, 24.0, 25.0, 26.0, 28.0]


@pytest.mark.parametrize(
    "align_corners,want",
    [
        (
            False,
            [
                -0.83664,
                -0.52888,
                0.2918,
                1.27022,
                2.95927,
                4.11044,
                1.89804,
                2.70554,
                4.25912,
                5.65225,
                7.86904,
                9.32068,
                7.72393,
                9.26049,
                11.89473,
                13.91557,
                16.93828,
                18.85215,
                17.17495,
                19.15693,
                22.48808,
                24.96533,
                28.59595,
                30.86878,
                23.64216,
                25.83183,
                29.50079,
                32.21635,
                36.17082,
                38.63781,
            ],
        ),
        (
            True,
            [
                0.0,
                0.41453,
                1.36098,
                2.30332,
                3.94458,
                5.19615,
                2.62868,
                3.56203,
                5.17716,
                6.48342,
                8.61667,
                10.17421,
                8.0,
                9.56658,
                12.01282,
                13.78731,
                16.56018,
                18.52026,
                16.06371,
                18.04338,
                21.06339,
                23.19405,
                26.46668,
                28.7507,
                22.62742,
                24.80418,
                28.11674,
                30.44755,
                34.00776,
                36.48287,
            ],
        ),
    ],
)
def test_bicubic(align_corners, want):
    y = F.interpolate(XS, size=(5, 6), mode="bicubic", align_corners=align_corners)
    assert y.flatten().tolist() == pytest.approx(want, abs=2e-5)


def test_bicubic_gradient():
    x = XS.clone().requires_grad_()
    y = F.interpolate(x, scale_factor=1.7, mode="bicubic")
    assert y.grad_fn.name() == "UpsampleBicubic2DBackward0"
    y.pow(2).sum().backward()
    want = [-3.0484, 2.4604, 15.9795, 11.346, 50.6019, 70.4473, 100.9802, 50.9661, 116.5827, 143.5827, 182.5928, 87.0423]
    assert x.grad.flatten().tolist() == pytest.approx(want, abs=2e-3)


def test_area_is_adaptive_average_pooling():
    assert F.interpolate(X, size=(3, 4), mode="area").flatten().tolist() == [6.5, 7.5, 9.5, 10.5, 18.5, 19.5, 21.5, 22.5, 30.5, 31.5, 33.5, 34.5]


def test_grouped_query_attention():
    q = torch.arange(40.0).reshape(1, 4, 5, 2) / 40
    k = torch.arange(24.0).reshape(1, 2, 6, 2) / 24 - 0.5
    v = torch.arange(36.0).reshape(1, 2, 6, 3) / 36
    got = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)[0, 3].flatten().tolist()
    want = [
        0.730067,
        0.757844,
        0.785622,
        0.731476,
        0.759254,
        0.787032,
        0.732883,
        0.760661,
        0.788439,
        0.734287,
        0.762065,
        0.789842,
        0.735687,
        0.763465,
        0.791243,
    ]
    assert got == pytest.approx(want, abs=1e-6)
    with pytest.raises(RuntimeError, match="Number of heads in key and value must divide the number of heads in query"):
        F.scaled_dot_product_attention(torch.zeros(1, 3, 5, 2), k, v, enable_gqa=True)
