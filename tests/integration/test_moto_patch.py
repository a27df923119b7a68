"""local_runtime/moto_patch.py: moto's TransactWriteItems without whole-table copies.

The patch must answer exactly as moto's own method does. So every scenario runs twice on a fresh
table, with moto's method and with the patched one, and the two runs must agree on everything a
client sees: the error (code, message, CancellationReasons, the Item a failed condition returns),
every item of the table, and every stream record. The scenarios cover what the service relies
on: all-or-nothing when a condition fails (on the first, a middle or the last entry, with Put,
Update that creates an item, Delete, ConditionCheck), a replayed transaction (idempotent: its
conditions cancel it and nothing changes), two operations on one item, a missing table, and a
ClientRequestToken (moto ignores it, patched or not).

Then what the patch is for: no table is copied (only the items a transaction touches), a
cancelled transaction leaves concurrent writers' changes alone, and the patch refuses another
moto version loudly.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local_runtime import moto_patch
from local_runtime.template import PROJECT_ROOT

TABLE = "patch-test"
REGION = "us-east-1"


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"PK": s(pk), "SK": s(sk)}


@pytest.fixture(autouse=True)
def unpatched_afterwards() -> Iterator[None]:
    was = moto_patch.applied()
    yield
    if was:
        moto_patch.apply()
    else:
        moto_patch.remove()


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION)


def create_table(client: Any) -> None:
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}, {"AttributeName": "SK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    client.put_item(TableName=TABLE, Item={**key("T#a", "QUOTA"), "count": n(1)})
    client.put_item(TableName=TABLE, Item={**key("T#a", "HOOK#1"), "version": n(1), "name": s("one")})
    client.put_item(TableName=TABLE, Item={**key("T#b", "HOOK#9"), "version": n(3), "name": s("nine")})


def create_hook(hook: str, *, max_count: int = 5) -> list[dict[str, Any]]:
    """What the service's webhook creation writes: quota, webhook, outbox, in one transaction."""
    return [
        {
            "Update": {
                "TableName": TABLE,
                "Key": key("T#a", "QUOTA"),
                "UpdateExpression": "SET #count = if_not_exists(#count, :zero) + :one",
                "ConditionExpression": "attribute_not_exists(#count) OR #count < :max",
                "ExpressionAttributeNames": {"#count": "count"},
                "ExpressionAttributeValues": {":zero": n(0), ":one": n(1), ":max": n(max_count)},
            }
        },
        {
            "Put": {
                "TableName": TABLE,
                "Item": {**key("T#a", f"HOOK#{hook}"), "version": n(1)},
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        },
        {"Put": {"TableName": TABLE, "Item": {**key("T#a", f"OUTBOX#{hook}"), "entity": s("OutboxEvent")}}},
    ]


def stale_replace(version: int) -> list[dict[str, Any]]:
    """Replace HOOK#1 if still at ``version``, returning it as it is when not (ALL_OLD)."""
    return [
        {"Put": {"TableName": TABLE, "Item": {**key("T#a", "OUTBOX#r"), "entity": s("OutboxEvent")}}},
        {
            "Update": {
                "TableName": TABLE,
                "Key": key("T#c", "NEW"),
                "UpdateExpression": "SET created = :yes",
                "ExpressionAttributeValues": {":yes": s("y")},
            }
        },
        {"Delete": {"TableName": TABLE, "Key": key("T#b", "HOOK#9")}},
        {
            "Put": {
                "TableName": TABLE,
                "Item": {**key("T#a", "HOOK#1"), "version": n(version + 1), "name": s("renamed")},
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":v": n(version)},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
    ]


SCENARIOS: dict[str, list[list[dict[str, Any]]]] = {
    "a transaction that succeeds": [create_hook("2")],
    "the same transaction replayed: its condition cancels it": [create_hook("2"), create_hook("2")],
    "a failed condition on the first entry (quota full)": [create_hook("2", max_count=1)],
    "a failed condition on the last entry, after a Put, an Update that creates and a Delete": [stale_replace(version=7)],
    "a condition that holds: the same entries all apply": [stale_replace(version=1)],
    "a failing ConditionCheck in the middle": [
        [
            {"Put": {"TableName": TABLE, "Item": {**key("T#a", "X"), "v": n(1)}}},
            {"ConditionCheck": {"TableName": TABLE, "Key": key("T#z", "NONE"), "ConditionExpression": "attribute_exists(PK)"}},
            {"Delete": {"TableName": TABLE, "Key": key("T#a", "HOOK#1")}},
        ]
    ],
    "two operations on one item": [
        [
            {"Put": {"TableName": TABLE, "Item": {**key("T#a", "Y"), "v": n(1)}}},
            {"Delete": {"TableName": TABLE, "Key": key("T#a", "HOOK#1")}},
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": key("T#a", "HOOK#1"),
                    "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": n(2)},
                }
            },
        ]
    ],
    "a table that does not exist": [
        [
            {"Put": {"TableName": TABLE, "Item": {**key("T#a", "Z"), "v": n(1)}}},
            {"Put": {"TableName": "no-such-table", "Item": {**key("T#a", "Z"), "v": n(1)}}},
        ]
    ],
    "an update that fails to evaluate (SET on a number with a string)": [
        [
            {"Put": {"TableName": TABLE, "Item": {**key("T#a", "W"), "v": n(1)}}},
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": key("T#a", "QUOTA"),
                    "UpdateExpression": "SET #c = #c + :x",
                    "ExpressionAttributeNames": {"#c": "count"},
                    "ExpressionAttributeValues": {":x": s("text")},
                }
            },
        ]
    ],
}


def run(client: Any, transactions: list[list[dict[str, Any]]], token: str | None = None) -> dict[str, Any]:
    """Run ``transactions`` on a fresh table; everything a client can see afterwards."""
    create_table(client)
    answers = []
    for items in transactions:
        try:
            client.transact_write_items(TransactItems=items, **({"ClientRequestToken": token} if token else {}))
            answers.append("ok")
        except ClientError as error:
            answers.append(
                {
                    "code": error.response["Error"]["Code"],
                    "message": error.response["Error"]["Message"],
                    "reasons": error.response.get("CancellationReasons"),
                }
            )
    items = sorted(client.scan(TableName=TABLE)["Items"], key=lambda item: (item["PK"]["S"], item["SK"]["S"]))
    streams = boto3.client("dynamodbstreams", region_name=REGION)
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = [
        (
            r["eventName"],
            r["dynamodb"]["SequenceNumber"],
            r["dynamodb"]["Keys"],
            r["dynamodb"].get("NewImage"),
            r["dynamodb"].get("OldImage"),
        )
        for r in streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    ]
    client.delete_table(TableName=TABLE)
    return {"answers": answers, "items": items, "stream": records}


def both(client: Any, transactions: list[list[dict[str, Any]]], **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    moto_patch.remove()
    theirs = run(client, transactions, **kwargs)
    moto_patch.apply()
    ours = run(client, transactions, **kwargs)
    return theirs, ours


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_patched_transaction_answers_exactly_as_motos_own(client: Any, scenario: str) -> None:
    theirs, ours = both(client, SCENARIOS[scenario])

    assert ours == theirs


def test_the_scenarios_cover_what_the_service_relies_on(client: Any) -> None:
    moto_patch.apply()
    done = {name: run(client, transactions) for name, transactions in SCENARIOS.items()}
    initial = run(client, [])

    assert done["a transaction that succeeds"]["answers"] == ["ok"]
    assert len(done["a transaction that succeeds"]["stream"]) == len(initial["stream"]) + 3
    # Idempotent: the replay is cancelled by its own condition and changes nothing.
    replayed = done["the same transaction replayed: its condition cancels it"]
    assert replayed["answers"][1]["code"] == "TransactionCanceledException"
    assert [reason["Code"] for reason in replayed["answers"][1]["reasons"]] == ["None", "ConditionalCheckFailed", "None"]
    assert replayed["items"] == done["a transaction that succeeds"]["items"]
    assert replayed["stream"] == done["a transaction that succeeds"]["stream"]
    # All or nothing: every entry before the failed one is undone, its stream records too.
    for name in ("a failed condition on the first entry (quota full)", "a failing ConditionCheck in the middle",
                 "a failed condition on the last entry, after a Put, an Update that creates and a Delete",
                 "two operations on one item", "a table that does not exist",
                 "an update that fails to evaluate (SET on a number with a string)"):  # fmt: skip
        assert (done[name]["items"], done[name]["stream"]) == (initial["items"], initial["stream"]), name
    stale = done["a failed condition on the last entry, after a Put, an Update that creates and a Delete"]["answers"][0]
    assert [reason["Code"] for reason in stale["reasons"]] == ["None", "None", "None", "ConditionalCheckFailed"]
    assert stale["reasons"][3]["Item"] == {**key("T#a", "HOOK#1"), "version": n(1), "name": s("one")}
    applied = done["a condition that holds: the same entries all apply"]
    assert applied["answers"] == ["ok"] and len(applied["items"]) == len(initial["items"]) + 1  # +OUTBOX#r +NEW -HOOK#9
    assert done["two operations on one item"]["answers"][0]["code"] == "ValidationException"


def test_a_client_request_token_is_ignored_as_by_moto(client: Any) -> None:
    """DynamoDB answers a replay with the same token (within 10 minutes) as the first call; moto
    ignores the token, and so does the patch: the replay is judged on its conditions."""
    theirs, ours = both(client, [create_hook("3"), create_hook("3")], token="same-token")

    assert ours == theirs
    assert ours["answers"][1]["code"] == "TransactionCanceledException"


@pytest.fixture
def deep_copies(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every object copy.deepcopy is asked to copy (moto and the patch call it through ``copy``)."""
    copied: list[Any] = []
    original = copy.deepcopy

    def spy(value: Any, *args: Any, **kwargs: Any) -> Any:
        copied.append(value)
        return original(value, *args, **kwargs)

    monkeypatch.setattr(copy, "deepcopy", spy)
    return copied


def fill(client: Any, count: int) -> None:
    for start in range(0, count, 25):
        client.batch_write_item(
            RequestItems={
                TABLE: [
                    {"PutRequest": {"Item": {**key(f"T#fill{i % 7}", f"ITEM#{i}"), "v": n(i)}}}
                    for i in range(start, min(start + 25, count))
                ]
            }
        )


def copied_items(copied: list[Any]) -> int:
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table

    assert not [value for value in copied if isinstance(value, Table)], "a whole table was copied"
    return sum(1 for value in copied if isinstance(value, Item))


def test_a_transaction_copies_only_the_items_it_touches_whatever_the_tables_size(client: Any, deep_copies: list[Any]) -> None:
    from moto.dynamodb.models.table import Table

    create_table(client)
    fill(client, 300)
    moto_patch.remove()
    deep_copies.clear()
    client.transact_write_items(TransactItems=create_hook("4"))
    assert any(isinstance(value, Table) for value in deep_copies)  # moto's own: the spy sees its table copies

    moto_patch.apply()
    for count, hook in ((0, "5"), (300, "6")):
        fill(client, count)
        deep_copies.clear()
        client.transact_write_items(TransactItems=create_hook(hook))
        assert copied_items(deep_copies) <= 2 * len(create_hook(hook))  # the items touched (and update_item's own copy)
    deep_copies.clear()
    with pytest.raises(ClientError):
        client.transact_write_items(TransactItems=create_hook("6"))  # cancelled: rolled back from item copies alone
    assert copied_items(deep_copies) <= 2 * len(create_hook("6"))


def test_a_cancelled_transaction_leaves_other_writers_changes_alone(client: Any) -> None:
    """Transactions and single writes from many threads (moto server serves each request on a
    thread): a cancelled transaction puts back only its own items, so no increment is lost."""
    moto_patch.apply()
    create_table(client)
    client.put_item(TableName=TABLE, Item={**key("T#a", "COUNTER"), "n": n(0)})
    successes: list[int] = []
    errors: list[BaseException] = []

    def increment(thread: int) -> None:
        done = 0
        try:
            for number in range(25):
                items: list[dict[str, Any]] = [
                    {
                        "Update": {
                            "TableName": TABLE,
                            "Key": key("T#a", "COUNTER"),
                            "UpdateExpression": "SET n = n + :one",
                            "ExpressionAttributeValues": {":one": n(1)},
                        }
                    },
                    {"Put": {"TableName": TABLE, "Item": {**key(f"T#t{thread}", f"N#{number}"), "v": n(number)}}},
                ]
                if number % 3 == 0:  # cancelled after the increment was applied
                    items.append(
                        {
                            "ConditionCheck": {
                                "TableName": TABLE,
                                "Key": key("T#z", "NONE"),
                                "ConditionExpression": "attribute_exists(PK)",
                            }
                        }
                    )
                try:
                    client.transact_write_items(TransactItems=items)
                    done += 1
                except ClientError as error:
                    assert error.response["Error"]["Code"] == "TransactionCanceledException"
                client.put_item(TableName=TABLE, Item={**key(f"T#s{thread}", f"S#{number}"), "v": n(number)})
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        successes.append(done)

    threads = [threading.Thread(target=increment, args=(thread,)) for thread in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    counter = client.get_item(TableName=TABLE, Key=key("T#a", "COUNTER"), ConsistentRead=True)["Item"]["n"]["N"]
    assert int(counter) == sum(successes) == 4 * 16
    assert (
        client.scan(TableName=TABLE, Select="COUNT")["Count"] == 3 + 1 + 4 * 16 + 4 * 25
    )  # the initial items, the counter, the transactions, the puts


# ------------------------------------------------------------------ the version it fits


def test_the_patch_refuses_another_moto_version_loudly() -> None:
    moto_patch.remove()
    with pytest.raises(moto_patch.MotoVersionMismatch) as refused:
        moto_patch.apply(version="5.2.6")

    assert "fits moto 5.2.5, but moto 5.2.6 is installed: the patch is NOT applied" in str(refused.value)
    assert "local_runtime/moto_patch.py" in str(refused.value)
    assert not moto_patch.applied()


def test_the_patch_fits_the_installed_and_the_pinned_moto() -> None:
    requirements = (PROJECT_ROOT / "requirements-run.txt").read_text()
    (pinned,) = re.findall(r"^moto\[server\]==(\S+)$", requirements, flags=re.MULTILINE)

    assert pinned == moto_patch.MOTO_VERSION == moto_patch.installed_moto_version()


def test_apply_is_idempotent_and_remove_restores_motos_methods() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    moto_patch.remove()
    originals: dict[str, Callable[..., Any]] = {name: getattr(DynamoDBBackend, name) for name in moto_patch.LOCKED_METHODS}
    moto_patch.apply()
    patched = {name: getattr(DynamoDBBackend, name) for name in moto_patch.LOCKED_METHODS}
    moto_patch.apply()

    assert {name: getattr(DynamoDBBackend, name) for name in moto_patch.LOCKED_METHODS} == patched
    assert all(patched[name] is not originals[name] for name in originals)
    moto_patch.remove()
    assert {name: getattr(DynamoDBBackend, name) for name in moto_patch.LOCKED_METHODS} == originals


# ------------------------------------------------------------------ nothing kept of what was overwritten


def live_items() -> int:
    import gc

    from moto.dynamodb.models.dynamo_type import Item

    gc.collect()
    return sum(1 for value in gc.get_objects() if isinstance(value, Item))


def churn(client: Any) -> None:
    """40 items, each updated 5 times, and 20 transactions (half of them cancelled)."""
    create_table(client)
    for number in range(40):
        client.put_item(TableName=TABLE, Item={**key("T#c", f"I#{number}"), "v": n(0)})
        for _ in range(5):
            client.update_item(
                TableName=TABLE,
                Key=key("T#c", f"I#{number}"),
                UpdateExpression="SET v = v + :one",
                ExpressionAttributeValues={":one": n(1)},
            )
    for number in range(20):
        try:
            client.transact_write_items(TransactItems=create_hook(f"c{number}", max_count=12))
        except ClientError:
            pass


def test_overwritten_and_copied_items_are_freed(client: Any) -> None:
    moto_patch.apply()
    before = live_items()
    churn(client)
    table_size = client.scan(TableName=TABLE, Select="COUNT")["Count"]

    assert live_items() - before <= table_size + 10  # the table's items, hardly more


def test_moto_alone_keeps_every_item_it_ever_made(client: Any) -> None:
    """What the patch removes: moto's BaseModel.instances_tracked holds every copy."""
    moto_patch.remove()
    before = live_items()
    churn(client)
    table_size = client.scan(TableName=TABLE, Select="COUNT")["Count"]

    assert live_items() - before > table_size + 200  # every update's copy, every transaction's table copies


def test_messages_and_stream_iterators_are_not_kept_either(client: Any) -> None:
    from moto.dynamodb.models.table import Table
    from moto.dynamodbstreams.models import ShardIterator
    from moto.sqs.models import Message

    moto_patch.apply()
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="patch-test")["QueueUrl"]
    for number in range(10):
        sqs.send_message(QueueUrl=url, MessageBody=str(number))
    for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    create_table(client)
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams", region_name=REGION)
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    for _ in range(5):
        streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")

    assert (len(Message.instances_tracked), len(ShardIterator.instances_tracked)) == (0, 0)
    assert Table.instances_tracked  # the rest of moto's dashboard data is kept
