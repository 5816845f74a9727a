"""The book's random search over learning rate and weight decay (ch. 6.5): by hand, or with scikit-learn.

By default the book's search: 500 digits (a fifth held out for validation), six hidden layers of
100, SGD for 50 epochs, learning rate from 10^U(-6, -2) and weight decay lambda from 10^U(-8, -4);
prints the runs best first and draws the best 20 runs' validation (solid) and training (dashed)
accuracy, the book's figure 6-24. Its lesson: the learning rate decides, the best runs all have
rates near the top of the range, and weight decay barely matters at these values.

With --sklearn: RandomizedSearchCV draws the same kind of values for `framework.MLPClassifier`
with cross-validation; `--n-jobs 2` runs candidates in parallel, `--dask local` on a local Dask
cluster, `--dask HOST:PORT` on a running scheduler (the `distributed` extra).

    python examples/hyperparameter_search.py --trials 100
    python examples/hyperparameter_search.py --sklearn --n-iter 20 --n-jobs 2
"""
import argparse
import contextlib
import os
import time
import warnings

import numpy as np

from framework import plot
from framework.book import MultiLayerNet, Trainer, shuffle_dataset
from framework.datasets import load_digits as framework_digits


def book_search(trials, epochs, seed, out):
    """The book's hyperparameter_optimization.py on digits; returns [(val acc, lr, lambda, val curve, train curve)]."""
    (x, t), _ = framework_digits(seed=seed)
    x, t = shuffle_dataset(x[:500], t[:500], seed=seed)
    x_val, t_val, x_train, t_train = x[:100], t[:100], x[100:], t[100:]
    rng, results = np.random.default_rng(seed), []
    started = time.perf_counter()
    for _ in range(trials):
        weight_decay, lr = 10 ** rng.uniform(-8, -4), 10 ** rng.uniform(-6, -2)
        network = MultiLayerNet(64, [100] * 6, 10, weight_decay_lambda=weight_decay, seed=seed)
        trainer = Trainer(network, x_train, t_train, x_val, t_val, epochs=epochs, mini_batch_size=100,
                          optimizer="sgd", optimizer_param={"lr": lr}, verbose=False, seed=seed)
        trainer.train()
        results.append((trainer.test_acc_list[-1], lr, weight_decay, trainer.test_acc_list, trainer.train_acc_list))
    results.sort(key=lambda r: -r[0])
    print(f"{trials} trials of {epochs} epochs in {time.perf_counter() - started:.1f} s; best first:")
    print("  rank  val acc   learning rate   weight decay lambda")
    for rank, (acc, lr, weight_decay, _, _) in enumerate(results, 1):
        if rank <= 10 or rank > len(results) - 3:
            print(f"  {rank:>4}   {acc:.3f}      {lr:.2e}        {weight_decay:.2e}")
    if plot.available():
        plt = plot._pyplot()
        shown = results[:20]
        rows = -(-len(shown) // 5)
        fig, axes = plt.subplots(rows, 5, figsize=(13, 2.3 * rows), sharex=True, sharey=True, squeeze=False)
        for ax in axes.ravel()[len(shown):]:
            ax.axis("off")
        for i, (ax, (acc, lr, weight_decay, val, train)) in enumerate(zip(axes.ravel(), shown), 1):
            ax.plot(range(1, len(val) + 1), val, label="validation")
            ax.plot(range(1, len(train) + 1), train, "--", label="training")
            ax.set_title(f"Best-{i}: lr {lr:.1e}, \u03bb {weight_decay:.0e}", fontsize=8)
            ax.set_ylim(0, 1)
        for ax in axes[:, 0]:
            ax.set_ylabel("accuracy")
        for ax in axes[-1, :]:
            ax.set_xlabel("epoch")
        axes[0, 0].legend(fontsize=7)
        fig.suptitle("the best runs of the random search (the book's figure 6-24): all have learning rates "
                     "near the top of 10^-6 .. 10^-2", fontsize=10)
        fig.tight_layout(rect=(0, 0, 1, 0.95))
        print("picture:", plot.save(fig, os.path.join(out, "hyperparameter_search.png")))
    return results


def make_search(n_iter, n_jobs, seed, max_iter):
    """The search: lr in 10^U(-4, -1), alpha in 10^U(-6, -1), log-uniform as the book draws them
    (wider and higher than the book's: Adam, scikit-learn's default solver, wants larger rates)."""
    from scipy.stats import loguniform
    from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from framework import MLPClassifier

    pipeline = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(100,), max_iter=max_iter,
                                                             random_state=seed))
    space = {"mlpclassifier__learning_rate_init": loguniform(1e-4, 1e-1),
             "mlpclassifier__alpha": loguniform(1e-6, 1e-1)}
    return RandomizedSearchCV(pipeline, space, n_iter=n_iter, n_jobs=n_jobs, random_state=seed,
                              cv=StratifiedKFold(3, shuffle=True, random_state=seed))


@contextlib.contextmanager
def dask_backend(address):
    """joblib's Dask backend on a local cluster ("local") or a running scheduler (HOST:PORT)."""
    import joblib
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False) if address == "local" else None
    client = Client(cluster if cluster is not None else address)
    try:
        with joblib.parallel_backend("dask"):
            yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--trials", type=int, default=40, help="Random trials of the book's search (the book: 100).")
    parser.add_argument("--epochs", type=int, default=50, help="Epochs per trial of the book's search (the book: 50).")
    parser.add_argument("--out", default=".", help="Folder for the picture (made if missing).")
    parser.add_argument("--sklearn", action="store_true", help="Search with scikit-learn's RandomizedSearchCV instead.")
    search_defaults = {"n_iter": 20, "n_jobs": 1, "max_iter": 50}
    parser.add_argument("--n-iter", type=int, help="Random candidates of the scikit-learn search (default 20).")
    parser.add_argument("--n-jobs", type=int, help="Candidates of the scikit-learn search trained at once (default 1).")
    parser.add_argument("--max-iter", type=int, help="Epochs per candidate of the scikit-learn search (default 50).")
    parser.add_argument("--dask", metavar="local|HOST:PORT",
                        help="Run the scikit-learn search on a Dask cluster (implies --sklearn).")
    parser.add_argument("--seed", type=int, default=0, help="Seed for the draws, the weights and the shuffling.")
    args = parser.parse_args(argv)
    given = {f"--{name.replace('_', '-')}" for name in search_defaults if getattr(args, name) is not None}
    for name, default in search_defaults.items():
        setattr(args, name, default if getattr(args, name) is None else getattr(args, name))
    if given and not (args.sklearn or args.dask):
        parser.error(f"{', '.join(sorted(given))} set the scikit-learn search: add --sklearn (or --dask); "
                     "the book's search takes --trials and --epochs")
    if args.dask:
        try:
            import dask.distributed  # noqa: F401
        except ImportError:
            parser.error('--dask needs dask.distributed: pip install -e ".[distributed]"')
    os.makedirs(args.out, exist_ok=True)
    if not (args.sklearn or args.dask):
        return book_search(args.trials, args.epochs, args.seed, args.out)

    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    # Short searches stop candidates before they converge; that is the point, not news.
    warnings.filterwarnings("ignore", message=".*Maximum iterations")
    search = make_search(args.n_iter, -1 if args.dask else args.n_jobs, args.seed, args.max_iter)
    started = time.perf_counter()
    with dask_backend(args.dask) if args.dask else contextlib.nullcontext():
        search.fit(X, y)
    print(f"{args.n_iter} candidates x 3 folds in {time.perf_counter() - started:.1f} s")
    results = sorted(zip(search.cv_results_["mean_test_score"], search.cv_results_["params"]),
                     key=lambda r: -r[0])
    # scikit-learn's alpha is a penalty per sample: each batch of 200 sees lambda = alpha / 200.
    print(" accuracy    learning rate    alpha       lambda per batch of 200")
    for score, params in results[:10]:
        alpha = params["mlpclassifier__alpha"]
        print(f"   {score:.4f}      {params['mlpclassifier__learning_rate_init']:.2e}"
              f"         {alpha:.2e}    {alpha / 200:.2e}")
    best = search.best_params_
    print(f"best: learning rate {best['mlpclassifier__learning_rate_init']:.2e}, "
          f"weight decay {best['mlpclassifier__alpha']:.2e} -> accuracy {search.best_score_:.4f}")
    return search


if __name__ == "__main__":
    main()
