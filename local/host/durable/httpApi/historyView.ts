import { EventType, fromJsonText, type HistoryEvent } from '../protocol/historyEvents';

/**
 * An orchestration's history as the Durable HTTP API shows it (showHistory): bookkeeping events
 * left out, each completion carrying the scheduled function's name and time, event types by name.
 */
export function historyView(storedEvents: string[], showOutput: boolean, showInput: boolean): Record<string, unknown>[] {
  const events = storedEvents.map((text) => JSON.parse(text) as HistoryEvent);
  const scheduled = new Map<number, HistoryEvent>();
  const view: Record<string, unknown>[] = [];
  // Inputs and results only when asked for, parsed from the JSON text the history keeps.
  const inputOf = (event: HistoryEvent) => (showInput ? { Input: fromJsonText(event.Input) } : {});
  const resultOf = (event: HistoryEvent) => (showOutput ? { Result: fromJsonText(event.Result) } : {});
  for (const event of events) {
    switch (event.EventType) {
      case EventType.TaskScheduled:
      case EventType.SubOrchestrationInstanceCreated:
        scheduled.set(event.EventId, event);
        break;
      case EventType.OrchestratorStarted:
      case EventType.OrchestratorCompleted:
        break;
      case EventType.ExecutionStarted:
        view.push({ EventType: 'ExecutionStarted', FunctionName: event.Name, Timestamp: event.Timestamp, ...inputOf(event) });
        break;
      case EventType.TaskCompleted:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceFailed: {
        const origin = scheduled.get(event.TaskScheduledId ?? -1);
        const failed = event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed;
        view.push({
          EventType: EventType[event.EventType],
          FunctionName: origin?.Name,
          ...(event.EventType === EventType.SubOrchestrationInstanceCompleted ||
          event.EventType === EventType.SubOrchestrationInstanceFailed
            ? { InstanceId: origin?.InstanceId }
            : {}),
          ScheduledTime: origin?.Timestamp,
          Timestamp: event.Timestamp,
          ...(failed ? { Reason: event.Reason, Details: event.Details, FailureDetails: event.FailureDetails } : resultOf(event)),
        });
        break;
      }
      case EventType.TimerCreated:
        view.push({ EventType: 'TimerCreated', FireAt: event.FireAt, Timestamp: event.Timestamp });
        break;
      case EventType.TimerFired:
        view.push({ EventType: 'TimerFired', FireAt: event.FireAt, Timestamp: event.Timestamp });
        break;
      case EventType.EventRaised:
        view.push({ EventType: 'EventRaised', Name: event.Name, Timestamp: event.Timestamp, ...inputOf(event) });
        break;
      case EventType.EventSent:
        view.push({ EventType: 'EventSent', InstanceId: event.InstanceId, Name: event.Name, Timestamp: event.Timestamp });
        break;
      case EventType.ExecutionCompleted:
        view.push({
          EventType: 'ExecutionCompleted',
          OrchestrationStatus: event.OrchestrationStatus,
          Timestamp: event.Timestamp,
          ...resultOf(event),
          ...(event.FailureDetails ? { FailureDetails: event.FailureDetails } : {}),
        });
        break;
      case EventType.ExecutionTerminated:
        view.push({ EventType: 'ExecutionTerminated', Input: fromJsonText(event.Input), Timestamp: event.Timestamp });
        break;
      default:
        view.push({
          EventType: EventType[event.EventType] ?? event.EventType,
          Timestamp: event.Timestamp,
          ...(event.Reason ? { Reason: event.Reason } : {}),
        });
    }
  }
  return view;
}
