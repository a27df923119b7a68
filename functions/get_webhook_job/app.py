"""GET /webhooks/{id}/jobs/{job_id}: a recover or replay job and its progress."""

from integration import wiring
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.jobs import JobView

app = create_app(Scope.WEBHOOKS_READ)
use_case = wiring.get_job()


@app.get(
    "/webhooks/<webhook_id>/jobs/<job_id>",
    operation_id="getWebhookJob",
    tags=["Webhooks"],
    summary="Get a recover or replay job",
    description=__doc__,
)
def get_webhook_job(webhook_id: str, job_id: str) -> JobView:
    principal = app.principal()
    return JobView.of(use_case.execute(principal, webhook_id, job_id))


lambda_handler = http_entry_point(app.resolve)
