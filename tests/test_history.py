"""framework.history: what a run measured, and its files."""
import json

from framework.history import EPOCH_KEYS, History


def make_history(epochs=3, val=True):
    history = History()
    for e in range(1, epochs + 1):
        history.append(loss=1.0 / e, accuracy=0.5 + e / 10, val_loss=1.5 / e if val else None,
                       val_accuracy=0.4 + e / 10 if val else None, lr=0.1 / e, epoch_time=0.01)
        history.batch_loss += [1.0 / e, 0.9 / e]
    return history


def test_logs_give_one_epoch_as_a_dict_counting_from_one():
    history = make_history()
    assert History().logs() == {}
    assert history.logs() == history.logs(3) == {"loss": 1 / 3, "accuracy": 0.8, "val_loss": 0.5,
                                                 "val_accuracy": 0.4 + 3 / 10, "lr": 0.1 / 3, "epoch_time": 0.01}
    assert history.logs(1)["loss"] == 1.0 and set(history.logs(2)) == set(EPOCH_KEYS)


def test_extend_appends_a_later_part_of_the_run():
    first, later = make_history(2), make_history(3)
    first.extend(later)
    assert first.epochs == 5 and first.loss[2:] == later.loss and len(first.batch_loss) == 10


def test_dict_round_trip_keeps_everything():
    history = make_history()
    history.best_epoch, history.stopped_epoch = 2, 3
    copy = History.from_dict(json.loads(json.dumps(history.as_dict())))
    assert copy == history and copy.best_epoch == 2 and copy.stopped_epoch == 3
    copy.loss[0] = 7.0
    assert copy != history


def test_csv_and_json_files(tmp_path):
    history = make_history(val=False)
    history.to_csv(tmp_path / "h.csv")
    rows = (tmp_path / "h.csv").read_text().splitlines()
    assert rows[0] == "epoch,loss,accuracy,val_loss,val_accuracy,lr,epoch_time"
    assert len(rows) == 4 and float(rows[3].split(",")[1]) == history.loss[2]
    assert rows[1].split(",")[3] == ""  # no validation: an empty cell, not "None"
    history.to_json(tmp_path / "h.json")
    assert json.loads((tmp_path / "h.json").read_text()) == history.as_dict()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
