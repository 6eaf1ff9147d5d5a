// A stand-in AWS endpoint on loopback: just enough of SSM, SQS and CloudWatch (JSON), S3 (REST, path-style, with
// conditional puts and listings), Auto Scaling, EC2 and ELBv2 (query protocol, XML) for one sweep or one release event
// over a tiny fleet, the sweep lease, surge steps (applied to the state, since each step reads its group back first),
// follow-ups, the desired state's verification (bucket tags, image states), the rollout alarms and an automatic
// rollback included. Point the SDK at it with
// `AWS_ENDPOINT_URL=<fake.url>` and dummy credentials; it routes each request by the service named in its SigV4
// credential scope (it does not check signatures) and records every call, so a test can assert what a handler asked
// AWS to do — above all, which instances it terminated.
//
//   const aws = await FakeAws.start("127.62.0.1", { parameters: {...}, objects: {...}, groups: [...] });
//   ... run the handler with AWS_ENDPOINT_URL=aws.url ...
//   aws.calls("autoscaling", "TerminateInstanceInAutoScalingGroup")  // [{ InstanceId: "i-old", ... }]
//   await aws.close();
import { createHash } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeInstance {
  id: string;
  /** Auto Scaling lifecycle state. @default "InService" */
  lifecycleState?: string;
  /** Auto Scaling health. @default "Healthy" */
  health?: string;
  imageId?: string;
  privateIp: string;
  /** ISO-8601. */
  launchTime: string;
  /** Health in each of the group's target groups. @default "healthy" */
  targetHealth?: string;
}

export interface FakeGroup {
  name: string;
  desiredCapacity: number;
  minSize: number;
  maxSize: number;
  tags: Record<string, string>;
  targetGroupArns?: string[];
  /** Suspended scaling processes. @default none */
  suspendedProcesses?: string[];
  instances: FakeInstance[];
}

export interface FakeAwsState {
  /** SSM parameters by name. */
  parameters: Record<string, string>;
  /** S3 objects by `<bucket>/<key>`. */
  objects: Record<string, string | Buffer>;
  groups: FakeGroup[];
  /** The follow-up queue's approximate counts (GetQueueAttributes). @default none pending */
  queue?: { delayed?: number; visible?: number };
  /** Each bucket's own tags (GetBucketTagging). @default none: the bucket has no tag set */
  bucketTags?: Record<string, Record<string, string>>;
  /** CloudWatch alarms by name: their state, why, and since when (ms since the epoch). @default none */
  alarms?: Record<string, { state: string; reason?: string; since: number }>;
  /** Images that exist here, by id, with their state (DescribeImages). @default none */
  images?: Record<string, string>;
}

/** One request as the fake understood it. */
export interface FakeCall {
  service: string;
  action: string;
  /** Query-protocol parameters, the JSON body (SSM), or `{ Bucket, Key }` (S3). */
  params: Record<string, unknown>;
}

export class FakeAws {
  readonly log: FakeCall[] = [];
  /** When each S3 object was last written (Last-Modified); objects a test put in the state count as written at start. */
  private readonly written = new Map<string, Date>();
  private readonly startedAt = new Date();
  /** Requests the fake could not answer (a test asserts this stays empty). */
  readonly unanswered: string[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly state: FakeAwsState,
    readonly url: string,
  ) {}

  /** Starts the endpoint on `host` (a loopback address) and an ephemeral port. */
  static async start(host: string, state: FakeAwsState): Promise<FakeAws> {
    const holder: { fake?: FakeAws } = {};
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => holder.fake!.handle(req, Buffer.concat(chunks).toString("utf8"), res));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    holder.fake = new FakeAws(server, state, `http://${host}:${port}`);
    return holder.fake;
  }

  /** The calls made to one service (and action), their parameters in order. */
  calls(service: string, action?: string): Record<string, unknown>[] {
    return this.log
      .filter((c) => c.service === service && (action === undefined || c.action === action))
      .map((c) => c.params);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(req.headers.authorization ?? "");
    const service = scope?.[1] ?? "unknown";
    try {
      switch (service) {
        case "ssm":
          return this.ssm(req, body, res);
        case "sqs":
          return this.sqs(req, body, res);
        case "s3":
          return this.s3(req, body, res);
        case "monitoring":
          return this.cloudwatch(req, body, res);
        case "autoscaling":
        case "ec2":
        case "elasticloadbalancing":
          return this.query(service, new URLSearchParams(body), res);
        default:
          return this.refuse(res, `${req.method} ${req.url} for service ${service}`);
      }
    } catch (err) {
      return this.refuse(res, `${service}: ${(err as Error).message}`);
    }
  }

  private refuse(res: http.ServerResponse, what: string): void {
    this.unanswered.push(what);
    res.writeHead(501, { "content-type": "text/plain" }).end(`fake-aws cannot answer ${what}`);
  }

  private ssm(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const action = String(req.headers["x-amz-target"] ?? "").replace(/^AmazonSSM\./, "");
    const params = JSON.parse(body || "{}") as { Name?: string };
    this.log.push({ service: "ssm", action, params });
    if (action !== "GetParameter") return this.refuse(res, `ssm ${action}`);
    const json = { "content-type": "application/x-amz-json-1.1" };
    const value = params.Name === undefined ? undefined : this.state.parameters[params.Name];
    if (value === undefined) {
      res.writeHead(400, json).end(JSON.stringify({ __type: "ParameterNotFound", message: `${params.Name}` }));
      return;
    }
    res
      .writeHead(200, json)
      .end(JSON.stringify({ Parameter: { Name: params.Name, Type: "String", Value: value, Version: 1 } }));
  }

  /** SQS's JSON protocol: the two calls a follow-up makes. A sent message is recorded, not delivered. */
  private sqs(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const action = String(req.headers["x-amz-target"] ?? "").replace(/^AmazonSQS\./, "");
    const params = JSON.parse(body || "{}") as { MessageBody?: string };
    this.log.push({ service: "sqs", action, params });
    const json = { "content-type": "application/x-amz-json-1.0" };
    if (action === "GetQueueAttributes") {
      const { delayed = 0, visible = 0 } = this.state.queue ?? {};
      res.writeHead(200, json).end(
        JSON.stringify({
          Attributes: {
            ApproximateNumberOfMessagesDelayed: String(delayed),
            ApproximateNumberOfMessages: String(visible),
          },
        }),
      );
      return;
    }
    if (action === "SendMessage") {
      // The SDK checks the body's MD5 in the answer.
      const md5 = createHash("md5")
        .update(params.MessageBody ?? "")
        .digest("hex");
      res.writeHead(200, json).end(JSON.stringify({ MessageId: `fake-${this.log.length}`, MD5OfMessageBody: md5 }));
      return;
    }
    return this.refuse(res, `sqs ${action}`);
  }

  /** CloudWatch's JSON protocol: DescribeAlarms by name, answering the alarms `state.alarms` holds. */
  private cloudwatch(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const action = String(req.headers["x-amz-target"] ?? "").replace(/^GraniteServiceVersion20100801\./, "");
    const params = JSON.parse(body || "{}") as { AlarmNames?: string[] };
    this.log.push({ service: "monitoring", action, params });
    if (action !== "DescribeAlarms") return this.refuse(res, `monitoring ${action}`);
    const alarms = (params.AlarmNames ?? []).flatMap((name) => {
      const a = this.state.alarms?.[name];
      return a === undefined
        ? []
        : [
            {
              AlarmName: name,
              StateValue: a.state,
              StateReason: a.reason ?? "",
              StateUpdatedTimestamp: a.since / 1000,
            },
          ];
    });
    res
      .writeHead(200, { "content-type": "application/x-amz-json-1.0" })
      .end(JSON.stringify({ MetricAlarms: alarms, CompositeAlarms: [] }));
  }

  private s3(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    // Path-style (`/<bucket>/<key>`): the SDK uses it for an endpoint that is an IP address.
    const url = new URL(req.url ?? "/", "http://fake");
    const [, bucket = "", ...rest] = url.pathname.split("/");
    const key = decodeURIComponent(rest.join("/"));
    if (req.method === "GET" && key === "" && url.searchParams.get("list-type") === "2") {
      const prefix = url.searchParams.get("prefix") ?? "";
      this.log.push({ service: "s3", action: "ListObjectsV2", params: { Bucket: bucket, Prefix: prefix } });
      const keys = Object.keys(this.state.objects)
        .filter((p) => p.startsWith(`${bucket}/${prefix}`))
        .map((p) => p.slice(bucket.length + 1))
        .sort();
      const xml =
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Name>${escape(bucket)}</Name><Prefix>${escape(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount>` +
        `<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>` +
        keys.map((k) => `<Contents><Key>${escape(k)}</Key><Size>1</Size></Contents>`).join("") +
        `</ListBucketResult>`;
      res.writeHead(200, { "content-type": "application/xml" }).end(xml);
      return;
    }
    if (req.method === "GET" && key === "" && url.searchParams.has("tagging")) {
      this.log.push({ service: "s3", action: "GetBucketTagging", params: { Bucket: bucket } });
      const tags = Object.entries(this.state.bucketTags?.[bucket] ?? {});
      const xml =
        tags.length === 0
          ? `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchTagSet</Code><Message>The TagSet does not exist</Message></Error>`
          : `<?xml version="1.0" encoding="UTF-8"?><Tagging><TagSet>${tags
              .map(([k, v]) => `<Tag><Key>${escape(k)}</Key><Value>${escape(v)}</Value></Tag>`)
              .join("")}</TagSet></Tagging>`;
      res.writeHead(tags.length === 0 ? 404 : 200, { "content-type": "application/xml" }).end(xml);
      return;
    }
    const action =
      req.method === "HEAD"
        ? "HeadObject"
        : req.method === "GET"
          ? "GetObject"
          : req.method === "PUT" && [...url.searchParams.keys()].every((k) => k === "x-id")
            ? "PutObject"
            : `${req.method}`;
    const ifMatch = req.headers["if-match"];
    const ifNoneMatch = req.headers["if-none-match"];
    this.log.push({
      service: "s3",
      action,
      params: {
        Bucket: bucket,
        Key: key,
        ...(ifMatch !== undefined && { IfMatch: ifMatch }),
        ...(ifNoneMatch !== undefined && { IfNoneMatch: ifNoneMatch }),
      },
    });
    const path = `${bucket}/${key}`;
    if (action === "PutObject") return this.putObject(path, body, ifMatch, ifNoneMatch, res);
    if (action !== "GetObject" && action !== "HeadObject") return this.refuse(res, `s3 ${req.method} ${req.url}`);
    const object = this.state.objects[path];
    if (object === undefined) {
      const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>${escape(key)}</Key></Error>`;
      res.writeHead(404, { "content-type": "application/xml" }).end(action === "HeadObject" ? undefined : xml);
      return;
    }
    const data = Buffer.isBuffer(object) ? object : Buffer.from(object);
    res.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": String(data.length),
      etag: etagOf(data),
      "last-modified": (this.written.get(path) ?? this.startedAt).toUTCString(),
    });
    res.end(action === "HeadObject" ? undefined : data);
  }

  /** PutObject with S3's conditions: If-None-Match "*" only if absent, If-Match only if the entity tag is still that. */
  private putObject(
    path: string,
    body: string,
    ifMatch: string | undefined,
    ifNoneMatch: string | undefined,
    res: http.ServerResponse,
  ): void {
    const existing = this.state.objects[path];
    const current =
      existing === undefined ? undefined : etagOf(Buffer.isBuffer(existing) ? existing : Buffer.from(existing));
    if ((ifNoneMatch === "*" && current !== undefined) || (ifMatch !== undefined && ifMatch !== current)) {
      const xml =
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>` +
        `<Message>At least one of the pre-conditions you specified did not hold</Message></Error>`;
      res.writeHead(412, { "content-type": "application/xml" }).end(xml);
      return;
    }
    this.state.objects[path] = body;
    this.written.set(path, new Date());
    res.writeHead(200, { etag: etagOf(Buffer.from(body)) }).end();
  }

  private query(service: string, params: URLSearchParams, res: http.ServerResponse): void {
    const action = params.get("Action") ?? "";
    this.log.push({ service, action, params: Object.fromEntries(params.entries()) });
    const xml = (namespace: string, inner: string, wrapResult = true) =>
      `<?xml version="1.0" encoding="UTF-8"?><${action}Response xmlns="${namespace}">` +
      (wrapResult ? `<${action}Result>${inner}</${action}Result>` : inner) +
      `<ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></${action}Response>`;
    const send = (text: string): void => {
      res.writeHead(200, { "content-type": "text/xml" }).end(text);
    };
    const asg = "http://autoscaling.amazonaws.com/doc/2011-01-01/";
    switch (`${service}:${action}`) {
      case "autoscaling:DescribeAutoScalingGroups": {
        const names = [...params.entries()]
          .filter(([k]) => k.startsWith("AutoScalingGroupNames.member."))
          .map(([, v]) => v);
        const groups = this.state.groups.filter((g) => names.length === 0 || names.includes(g.name));
        return send(xml(asg, `<AutoScalingGroups>${groups.map(groupXml).join("")}</AutoScalingGroups>`));
      }
      case "autoscaling:DescribeScalingActivities":
        // No recorded history: a group that may be wedged reads as one whose capacity nobody changed.
        return send(xml(asg, "<Activities></Activities>"));
      case "autoscaling:TerminateInstanceInAutoScalingGroup": {
        const id = params.get("InstanceId") ?? "";
        return send(
          xml(
            asg,
            `<Activity><ActivityId>fake-${escape(id)}</ActivityId><AutoScalingGroupName>${escape(this.groupOf(id))}</AutoScalingGroupName>` +
              `<Description>Terminating EC2 instance: ${escape(id)}</Description><Cause>fake</Cause>` +
              `<StartTime>${new Date(0).toISOString()}</StartTime><StatusCode>InProgress</StatusCode><Progress>0</Progress></Activity>`,
          ),
        );
      }
      case "autoscaling:SetDesiredCapacity":
      case "autoscaling:CreateOrUpdateTags":
      case "autoscaling:DeleteTags":
      case "autoscaling:SuspendProcesses":
      case "autoscaling:ResumeProcesses":
        // Applied: a surge step reads its group back before the next one.
        this.applyGroupWrite(action, params);
        return send(xml(asg, "", false));
      case "ec2:DescribeInstances": {
        const items = this.state.groups
          .flatMap((g) => g.instances)
          .map(
            (i) =>
              `<item><instanceId>${escape(i.id)}</instanceId>${i.imageId ? `<imageId>${escape(i.imageId)}</imageId>` : ""}` +
              `<privateIpAddress>${escape(i.privateIp)}</privateIpAddress><launchTime>${escape(i.launchTime)}</launchTime>` +
              `<instanceState><code>16</code><name>running</name></instanceState></item>`,
          )
          .join("");
        return send(
          xml(
            "http://ec2.amazonaws.com/doc/2016-11-15/",
            `<requestId>fake</requestId><reservationSet><item><reservationId>r-fake</reservationId><instancesSet>${items}</instancesSet></item></reservationSet>`,
            false,
          ).replace("<ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata>", ""),
        );
      }
      case "ec2:DescribeImages": {
        const id = params.get("ImageId.1") ?? "";
        const state = this.state.images?.[id];
        if (state === undefined) {
          res
            .writeHead(400, { "content-type": "text/xml" })
            .end(
              `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InvalidAMIID.NotFound</Code>` +
                `<Message>The image id '[${escape(id)}]' does not exist</Message></Error></Errors><RequestID>fake</RequestID></Response>`,
            );
          return;
        }
        return send(
          xml(
            "http://ec2.amazonaws.com/doc/2016-11-15/",
            `<requestId>fake</requestId><imagesSet><item><imageId>${escape(id)}</imageId><imageState>${escape(state)}</imageState></item></imagesSet>`,
            false,
          ).replace("<ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata>", ""),
        );
      }
      case "elasticloadbalancing:DescribeTargetHealth": {
        const arn = params.get("TargetGroupArn") ?? "";
        const members = this.state.groups
          .filter((g) => (g.targetGroupArns ?? []).includes(arn))
          .flatMap((g) => g.instances)
          .map(
            (i) =>
              `<member><Target><Id>${escape(i.id)}</Id><Port>80</Port></Target>` +
              `<TargetHealth><State>${escape(i.targetHealth ?? "healthy")}</State></TargetHealth></member>`,
          )
          .join("");
        return send(
          xml(
            "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
            `<TargetHealthDescriptions>${members}</TargetHealthDescriptions>`,
          ),
        );
      }
      default:
        return this.refuse(res, `${service} ${action}`);
    }
  }

  private applyGroupWrite(action: string, params: URLSearchParams): void {
    const members = (prefix: string) => [...params.entries()].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
    const group = (name: string | null) => this.state.groups.find((g) => g.name === name);
    if (action === "SetDesiredCapacity") {
      const g = group(params.get("AutoScalingGroupName"));
      if (g) g.desiredCapacity = Number(params.get("DesiredCapacity"));
    } else if (action === "SuspendProcesses" || action === "ResumeProcesses") {
      const g = group(params.get("AutoScalingGroupName"));
      const processes = members("ScalingProcesses.member.");
      if (g) {
        const now = new Set(g.suspendedProcesses ?? []);
        for (const p of processes) {
          if (action === "SuspendProcesses") now.add(p);
          else now.delete(p);
        }
        g.suspendedProcesses = [...now].sort();
      }
    } else {
      for (let n = 1; params.has(`Tags.member.${n}.Key`); n++) {
        const g = group(params.get(`Tags.member.${n}.ResourceId`));
        const key = params.get(`Tags.member.${n}.Key`)!;
        if (g && action === "CreateOrUpdateTags") g.tags[key] = params.get(`Tags.member.${n}.Value`) ?? "";
        if (g && action === "DeleteTags") delete g.tags[key];
      }
    }
  }

  private groupOf(instanceId: string): string {
    return this.state.groups.find((g) => g.instances.some((i) => i.id === instanceId))?.name ?? "";
  }
}

function groupXml(g: FakeGroup): string {
  const members = (items: string[]) => items.map((i) => `<member>${i}</member>`).join("");
  return (
    `<member><AutoScalingGroupName>${escape(g.name)}</AutoScalingGroupName>` +
    `<MinSize>${g.minSize}</MinSize><MaxSize>${g.maxSize}</MaxSize><DesiredCapacity>${g.desiredCapacity}</DesiredCapacity>` +
    `<Instances>${members(
      g.instances.map(
        (i) =>
          `<InstanceId>${escape(i.id)}</InstanceId><LifecycleState>${escape(i.lifecycleState ?? "InService")}</LifecycleState>` +
          `<HealthStatus>${escape(i.health ?? "Healthy")}</HealthStatus>`,
      ),
    )}</Instances>` +
    `<TargetGroupARNs>${members((g.targetGroupArns ?? []).map(escape))}</TargetGroupARNs>` +
    `<SuspendedProcesses>${members(
      (g.suspendedProcesses ?? []).map(
        (p) => `<ProcessName>${escape(p)}</ProcessName><SuspensionReason>User</SuspensionReason>`,
      ),
    )}</SuspendedProcesses>` +
    `<Tags>${members(
      Object.entries(g.tags).map(
        ([k, v]) =>
          `<Key>${escape(k)}</Key><Value>${escape(v)}</Value><ResourceId>${escape(g.name)}</ResourceId>` +
          `<ResourceType>auto-scaling-group</ResourceType><PropagateAtLaunch>true</PropagateAtLaunch>`,
      ),
    )}</Tags></member>`
  );
}

/** S3's entity tag of a simple upload: the body's MD5, quoted. */
function etagOf(data: Buffer): string {
  return `"${createHash("md5").update(data).digest("hex")}"`;
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
