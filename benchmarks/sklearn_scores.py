"""Head to head with scikit-learn's MLPs on the data sets it ships: the scores a switching user gets with the defaults.

    python benchmarks/sklearn_scores.py            # 5 seeds; writes benchmarks/results/sklearn_scores.md
    python benchmarks/sklearn_scores.py --quick    # 2 seeds, fewer data sets

For each data set (iris, wine, breast_cancer, digits, make_classification, a multilabel set;
diabetes, linnerud, make_regression, friedman1) and each setting (adam, sgd, lbfgs, adam with
early_stopping), both estimators are fitted with scikit-learn's defaults otherwise, on the same 75/25
split per seed (features standardized on the training part), random_state = the seed. Reported: the
mean and standard deviation over seeds of the test score (accuracy, subset accuracy for multilabel,
R^2), whether ours is worse by more than 2 standard deviations (the larger of the two), and the
fitting time of scikit-learn's divided by ours, both in the same process, in turns.
"""
import argparse
import os
import statistics
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SETTINGS = {"adam": {}, "sgd": {"solver": "sgd"}, "lbfgs": {"solver": "lbfgs"},
            "adam+early_stopping": {"early_stopping": True}}


def data_sets(quick):
    from sklearn import datasets
    sets = {
        "iris": ("classifier", datasets.load_iris(return_X_y=True)),
        "wine": ("classifier", datasets.load_wine(return_X_y=True)),
        "breast_cancer": ("classifier", datasets.load_breast_cancer(return_X_y=True)),
        "digits": ("classifier", datasets.load_digits(return_X_y=True)),
        "make_classification": ("classifier", datasets.make_classification(500, 20, random_state=0)),
        "multilabel": ("classifier", datasets.make_multilabel_classification(300, 20, n_classes=4, random_state=0)),
        "diabetes": ("regressor", datasets.load_diabetes(return_X_y=True)),
        "linnerud": ("regressor", datasets.load_linnerud(return_X_y=True)),
        "make_regression": ("regressor", datasets.make_regression(300, 10, noise=10.0, random_state=0)),
        "friedman1": ("regressor", datasets.make_friedman1(300, 10, noise=1.0, random_state=0)),
    }
    if quick:
        sets = {name: sets[name] for name in ("iris", "digits", "diabetes", "make_regression")}
    return sets


def fit_score(estimator, X_train, X_test, y_train, y_test):
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(X_train, y_train)
    seconds = time.perf_counter() - started
    return estimator.score(X_test, y_test), seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds and four data sets")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args(argv)
    import sklearn.neural_network as sk
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    import framework
    seeds = range(2 if args.quick else args.seeds)
    lines = ["| data set | setting | scikit-learn | ours | ours worse by > 2 sd? | time, scikit-learn / ours |",
             "|---|---|---|---|---|---|"]
    worse = 0
    for name, (kind, (X, y)) in data_sets(args.quick).items():
        for setting, extra in SETTINGS.items():
            scores = {"sklearn": [], "ours": []}
            times = {"sklearn": [], "ours": []}
            for seed in seeds:
                X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed)
                scaler = StandardScaler().fit(X_train)
                X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
                if kind == "regressor":
                    y_scale = np.std(y_train, axis=0)
                    y_train, y_test = y_train / y_scale, y_test / y_scale
                peers = {"sklearn": getattr(sk, f"MLP{kind.title()}"), "ours": getattr(framework, f"MLP{kind.title()}")}
                order = list(peers) if seed % 2 == 0 else list(peers)[::-1]
                for peer in order:
                    score, seconds = fit_score(peers[peer](random_state=seed, **extra), X_train, X_test, y_train, y_test)
                    scores[peer].append(score)
                    times[peer].append(seconds)
            mean = {peer: statistics.mean(values) for peer, values in scores.items()}
            sd = {peer: statistics.stdev(values) if len(values) > 1 else 0.0 for peer, values in scores.items()}
            flag = mean["ours"] < mean["sklearn"] - 2 * max(sd.values())
            worse += flag
            ratio = statistics.median(times["sklearn"]) / statistics.median(times["ours"])
            lines.append(f"| {name} | {setting} | {mean['sklearn']:.3f} ± {sd['sklearn']:.3f} | "
                         f"{mean['ours']:.3f} ± {sd['ours']:.3f} | {'**yes**' if flag else 'no'} | {ratio:.2f}x |")
            print(lines[-1], flush=True)
    lines.append(f"\n{len(seeds)} seeds; cells where ours is worse by more than 2 sd: {worse} of {len(lines) - 2}.")
    text = "\n".join(lines)
    print(text.splitlines()[-1])
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "sklearn_scores-quick.md" if args.quick else "sklearn_scores.md"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
